/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libukey-renew's public header: the one header a front-end includes (the
 * ukey command, ukey-vkey-seal, the assistant page to come), and all it
 * may use of the library. It stands on ukey-base.h (errors, translations,
 * printable text, configuration) and ukey-seal.h (seals as files, the
 * cleaning rules), and adds what needs a token or the CA service:
 *
 *   PKCS#11 connection   p11/p11.c        a module loaded, as a plain consumer
 *   tokens, certificates p11/token.c, cert.c
 *   PIN                  p11/pin.c
 *   the CA service       service/         answers, client, endpoints
 *   seals on a token     seal/seal-token.c
 *   renewal              renew/           the journaled transaction
 *
 * Not installed: libukey-renew is a convenience library linked into the
 * programs of this tree, so this is a contract between its parts, not an
 * ABI. tests/package/front-ends.sh fails when a front-end includes another
 * header of renew-plugin/. */
#ifndef UKEY_RENEW_PUBLIC_H
#define UKEY_RENEW_PUBLIC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "ukey-base.h"
#include "ukey-pkcs11.h"
#include "ukey-seal.h"

/* --- PKCS#11 connection ----------------------------------------------------
 * Any module (ours by default) loaded with dlopen and spoken to through the
 * standard API only; a front-end may call f (and v) itself. */

/* The consumer's connection to one loaded module (not to be confused with
 * the module's own p11 driver, which forwards to a backend module). */
struct ukey_conn {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	int initialized;
	/* ukey-pkcs11's vendor interface (exact PIN tries, why no slot), or
	 * NULL for another module: then only standard PKCS#11 is used. */
	const UKEY_VENDOR_FUNCTION_LIST *v;
};

/* Loads the module at path and initialises it (CKF_OS_LOCKING_OK). When it
 * is ukey-pkcs11 (it has the vendor interface) and UKEY_LOG is not set, its
 * stderr log is off: what it would log at start-up (no configuration, a
 * backend that does not load) is reported by the command in its own words
 * (ukey_token_no_backend, `ukey doctor`) instead of as a raw log line. */
int ukey_conn_open(struct ukey_conn *p, const char *path, struct ukey_err *e);
void ukey_conn_close(struct ukey_conn *p);
/* "CKR_PIN_INCORRECT" etc., or "CKR_0x..." in a static buffer. */
const char *ukey_p11_rv_name(CK_RV rv);
/* Reads one attribute into a malloc'd buffer (two-call sizing). */
int ukey_conn_attr(struct ukey_conn *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
		   unsigned char **val, size_t *len, struct ukey_err *e);

/* --- Tokens and certificates -----------------------------------------------
 * Which U-KEYs are present, choosing exactly one, the PIN state its flags
 * tell, and its certificates. */
struct ukey_token_info {
	CK_SLOT_ID slot;
	char label[33];
	char serial[17]; /* the medium number (介质编号) */
	char manufacturer[33];
	char model[17];
	CK_FLAGS flags;
	/* The user PIN's exact tries where the module tells them (the vendor
	 * interface, SKF backends); -1 when unknown (only flags then). */
	long tries_left, tries_max;
	/* The same for the administrator (SO) PIN: -1 until
	 * ukey_token_so_refresh reads them (the CKF_SO_PIN_* flags are in
	 * flags from the start). */
	long so_tries_left, so_tries_max;
	/* The token's PIN length rule (CK_TOKEN_INFO ulMinPinLen,
	 * ulMaxPinLen); 0 for a bound it does not tell. */
	unsigned long min_pin_len, max_pin_len;
};

struct ukey_cert {
	unsigned char *der;
	size_t der_len;
	unsigned char id[64]; /* CKA_ID: pairs the certificate with its key */
	size_t id_len;
	char label[128];
	char subject[512], issuer[512];
	char serial_hex[80]; /* lower case, no leading zeros */
	time_t not_before, not_after;
	char trust_number[64]; /* extension 1.2.86.21.1.3, or "" */
	int sign, encrypt;     /* from keyUsage (both when it is absent) */
	char key_type[8];      /* "RSA", "EC", "SM2" or "?" */
};

/* Tokens present (malloc'd array). */
int ukey_token_list(struct ukey_conn *p, struct ukey_token_info **out, size_t *n, struct ukey_err *e);
/* Exactly one token: the one whose medium number is serial, or ends with
 * serial when that is 4 (hex) digits and matches one token only (the
 * guide's "last four digits"), else the only one present. None, several (listed
 * in the message) or no match: UKEY_E_TOKEN; no token because the module
 * has no working backend: UKEY_E_ERROR (ukey_token_no_backend). */
int ukey_token_select(struct ukey_conn *p, const char *serial, struct ukey_token_info *out,
		      struct ukey_err *e);
/* Appends "\n  <medium number>  <label>" to e->msg for each token of
 * list (those ending in last4 when it is not NULL); returns UKEY_E_TOKEN. */
int ukey_token_list_into(const struct ukey_token_info *list, size_t n, const char *last4, struct ukey_err *e);
/* For when no token is present. When the module is ukey-pkcs11 and none
 * of its backends is working (no or a broken configuration, no backend
 * library loads): UKEY_E_ERROR with "the module found no backend: <reason>;
 * see ukey-pkcs11.conf(5)". When only some did not load: UKEY_E_TOKEN, no
 * U-KEY inserted, naming those. Otherwise UKEY_E_OK: none is inserted. */
int ukey_token_no_backend(struct ukey_conn *p, struct ukey_err *e);
/* "ok", "count_low", "final_try" or "locked": from the exact tries when
 * known, else from the CKF_USER_PIN_* flags. */
const char *ukey_token_pin_state(const struct ukey_token_info *t);
/* The sentence for that state with the tries left when known ("9 tries
 * left of 10"), translated, in buf. */
const char *ukey_token_pin_text(const struct ukey_token_info *t, char *buf, size_t len);

/* The administrator (SO) PIN's counter, asked of the device now: exact
 * through the vendor interface, else from a fresh C_GetTokenInfo's
 * CKF_SO_PIN_* flags. One more device round trip: only `ukey pin unblock`
 * needs it. */
int ukey_token_so_refresh(struct ukey_conn *p, struct ukey_token_info *t, struct ukey_err *e);
/* As ukey_token_pin_state and _text, for the administrator PIN. */
const char *ukey_token_so_pin_state(const struct ukey_token_info *t);
const char *ukey_token_so_pin_text(const struct ukey_token_info *t, char *buf, size_t len);
/* --- Keys coming and going ----------------------------------------------------
 * A front-end that stays up (ukey watch, the assistant to come) follows
 * U-KEYs being inserted and removed through C_WaitForSlotEvent; with a
 * module whose wait cannot block it lists the tokens once a second. One
 * watch at a time per process. */
enum ukey_token_change {
	UKEY_TOKEN_PRESENT = 1, /* inserted before the watch began */
	UKEY_TOKEN_WATCHING,    /* every present key given: changes follow (t NULL) */
	UKEY_TOKEN_INSERTED,
	UKEY_TOKEN_REMOVED,     /* t: the key as it was last seen in that slot */
};
/* Calls cb for each key present, once with UKEY_TOKEN_WATCHING, then for
 * each key inserted or removed,
 * until cb returns nonzero or ukey_token_watch_stop is called (UKEY_E_OK
 * either way). A failure of the module's wait is UKEY_E_TOKEN. */
int ukey_token_watch(struct ukey_conn *p, int (*cb)(void *arg, enum ukey_token_change what,
						     const struct ukey_token_info *t),
		     void *arg, struct ukey_err *e);
/* From another thread, not from a signal handler: makes ukey_token_watch
 * return soon. A wait blocked in the module is ended by finalising the
 * module (PKCS#11's way); p is then good for ukey_conn_close only. */
void ukey_token_watch_stop(struct ukey_conn *p);

/* Certificates on the token (public objects: no login needed), signing
 * ones first, then by label and serial: a stable order. */
int ukey_token_certs(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_cert **out, size_t *n,
		     struct ukey_err *e);
void ukey_certs_free(struct ukey_cert *c, size_t n);
/* The signing certificate: has digitalSignature; the latest notAfter wins. */
const struct ukey_cert *ukey_certs_signing(const struct ukey_cert *c, size_t n);

/* --- PIN ---------------------------------------------------------------------
 * Logging in with the user PIN: from the terminal without echo, from a file
 * descriptor (--pin-fd) or UKEY_PIN_FILE for automation, or, when the token
 * has a protected authentication path (ukey-pkcs11's pin_prompt =
 * pinentry) and neither of those gives it, from the module's PIN dialog.
 * Never from argv, never retried automatically. */
struct ukey_pin_opts {
	int fd;               /* --pin-fd, or -1 */
	int accept_final_try; /* --accept-final-try */
};

/* Warns (stderr) when the flags say COUNT_LOW or FINAL_TRY, before the try;
 * at FINAL_TRY refuses non-interactive input unless accept_final_try. One
 * C_Login. A wrong PIN is UKEY_E_TOKEN with what the flags now say. */
int ukey_pin_login(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_info *t,
		   const struct ukey_pin_opts *o, struct ukey_err *e);

/* The same one C_Login for a front-end holding the PIN itself (the
 * assistant's password field): pin is the caller's buffer of len bytes
 * (no NUL needed), wiped with OPENSSL_cleanse before this returns,
 * whatever happens. pin NULL: the module's own PIN dialog asks (the token
 * has CKF_PROTECTED_AUTHENTICATION_PATH, e.g. ukey-pkcs11 with pin_prompt =
 * pinentry); else UKEY_E_USAGE. A locked PIN, and a typed PIN at the final
 * try without accept_final_try, are refused before the device is asked.
 * out->reason: "logged_in", "locked", "final_try", "wrong_pin", "no_pin",
 * "cancelled" (the dialog) or "error"; t's tries are read again after a
 * wrong PIN. Nothing is printed. */
struct ukey_pin_outcome;
int ukey_pin_login_given(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_info *t, char *pin,
			 size_t len, int accept_final_try, struct ukey_pin_outcome *out, struct ukey_err *e);

/* --- Changing and unblocking the PIN (`ukey pin`) ---------------------------
 * Through standard PKCS#11 only, so any module works: C_SetPIN in a
 * read-write session nobody is logged into (the user PIN), and C_Login as
 * the SO then C_InitPIN to unblock. The PINs come as for a login, one per
 * line in the order asked (--pin-fd, UKEY_PIN_FILE, else the terminal
 * without echo), or, when the token has a protected authentication path
 * (ukey-pkcs11 with pin_prompt = pinentry) and none comes from a
 * descriptor or file, from the module's PIN dialog. Before the device is
 * touched: a locked PIN is refused, the new PIN is held to the token's
 * length rule and must be typed the same twice, and at the last try a PIN
 * from a descriptor or file needs accept_final_try. Then one call: a wrong
 * PIN burns one try and is never retried. Every PIN is wiped after use. */
struct ukey_pin_outcome {
	/* What happened, for --json: "changed" or "unblocked"; else "locked",
	 * "so_locked", "final_try", "wrong_pin", "wrong_so_pin", "length",
	 * "mismatch", "no_pin", "refused" (the token refused the new PIN),
	 * "cancelled" (the PIN dialog), "error". */
	const char *reason;
	int dialog; /* the module's PIN dialog asked for the PINs */
};
/* Old PIN, new PIN twice. UKEY_E_USAGE for input refused before the
 * device (length, mismatch, none), UKEY_E_TOKEN for the token's refusals
 * (with the tries now left), UKEY_E_ERROR for a cancelled dialog. t is
 * read again afterwards (its tries as they are now). */
int ukey_pin_change(struct ukey_conn *p, struct ukey_token_info *t, const struct ukey_pin_opts *o,
		    struct ukey_pin_outcome *out, struct ukey_err *e);
/* Administrator PIN, then the new user PIN twice; says (stderr) how many
 * administrator tries are left before asking. A locked administrator PIN
 * is refused before anything is asked: only the CA can help then. t's
 * user and SO counters are read again afterwards. */
int ukey_pin_unblock(struct ukey_conn *p, struct ukey_token_info *t, const struct ukey_pin_opts *o,
		     struct ukey_pin_outcome *out, struct ukey_err *e);

/* --- The CA service ----------------------------------------------------------
 * Its client endpoints (docs/protocol.md), every answer parsed strictly: a
 * failure is UKEY_E_SERVICE with a message naming the member. */
struct ukey_binding {
	char code[64], medium_last4[8], qr[160];
	int64_t expires;
};

struct ukey_order {
	char state[24]; /* none unpaid awaiting_transfer paid used */
	char id[64], covers[16], price_text[32], pay_method[16];
	int64_t price, paid_at; /* fen; 0 when null */
	int encryption;
};

struct ukey_invoice {
	char id[64], order_id[64], state[16], title[304], tax_number[32];
	int64_t amount, issued_at;
};

struct ukey_svc_status {
	char medium[32], medium_last4[8], binding[16], seals[16];
	char cert_serial[80], cert_subject[512], trust_number[64];
	int64_t not_before, not_after;
	int expired, identity_checked;
	struct ukey_order order;
};

/* An answer as it came: the HTTP status and the body. */
struct ukey_http_resp {
	long status;
	char *body; /* NUL-terminated */
	size_t len;
	char ctype[128];
};
void ukey_http_resp_free(struct ukey_http_resp *r);

/* The client: HTTPS to the configured service (verification always on
 * with the configured CA file, host name checked, bounded time and size),
 * every request signed on the token. Opaque. */
struct ukey_client;

/* The client of the service conf names: URL and CA file checked, nothing
 * sent yet (so no PIN is asked for a request that cannot be sent). *out is
 * NULL on failure. */
int ukey_client_new(const struct ukey_conf *conf, struct ukey_client **out, struct ukey_err *e);
/* From now on c's requests are signed by the signing key of certs (the
 * private key with the signing certificate's CKA_ID) in session s, logged
 * in. Every endpoint below needs it first. */
int ukey_client_sign_with(struct ukey_client *c, struct ukey_conn *p, CK_SESSION_HANDLE s,
			  const struct ukey_cert *certs, size_t n, struct ukey_err *e);
void ukey_client_free(struct ukey_client *c); /* NULL allowed */

/* One function per endpoint. GETs are retried (3 tries, pauses of 1 s then
 * 2 s) when the failure is transient: no connection, timeout, a dropped
 * connection, HTTP 5xx; never on 4xx, a TLS refusal or a malformed answer.
 * Other methods are sent once. A refusal sets e->service_code to the
 * service's error code. */
int ukey_api_status(struct ukey_client *c, struct ukey_svc_status *st, struct ukey_err *e);
int ukey_api_binding_new(struct ukey_client *c, struct ukey_binding *b, struct ukey_err *e);
int ukey_api_binding_state(struct ukey_client *c, char *state, size_t len, int64_t *confirmed_at,
			   struct ukey_err *e);
int ukey_api_order(struct ukey_client *c, struct ukey_order *o, struct ukey_err *e);
/* *list is malloc'd (free()); *n may be 0. */
int ukey_api_invoices(struct ukey_client *c, struct ukey_invoice **list, size_t *n, struct ukey_err *e);
/* *created: 1 for a new invoice, 0 for the order's existing one. */
int ukey_api_invoice_request(struct ukey_client *c, const char *order, const char *title, const char *tax,
			     struct ukey_invoice *inv, int *created, struct ukey_err *e);
/* The PDF (raw->body, raw->len). */
int ukey_api_invoice_document(struct ukey_client *c, const char *id, struct ukey_http_resp *raw,
			      struct ukey_err *e);
/* GET /api/v1/seals into l (ukey_clean_list_free it). */
int ukey_api_seals(struct ukey_client *c, struct ukey_clean_list *l, struct ukey_err *e);
/* POST /api/v1/seals/clean with a plan (ukey_clean_plan_json), once. Its
 * answer whatever the HTTP status in r (ukey_http_resp_free it): a refusal
 * names its rule and seals (ukey_api_parse_error, _error_seals). Only a
 * request that could not be made is an error. */
int ukey_api_seals_clean(struct ukey_client *c, const char *plan, struct ukey_http_resp *r, struct ukey_err *e);

/* The error body of a non-2xx answer, tolerantly: code and message are ""
 * when absent or malformed; control characters in them become '?' (they
 * reach the terminal), and they are cut to their buffers. */
void ukey_api_parse_error(const char *body, size_t len, char *code, size_t code_len, char *msg,
			  size_t msg_len);
/* The "seals" of an error body (409 rule_*, 404 not_found: the seals
 * concerned), tolerantly: its string entries only, at most max, each
 * cleaned and cut like the code; the count. */
#define UKEY_API_SEAL_ID 64
size_t ukey_api_parse_error_seals(const char *body, size_t len, char (*ids)[UKEY_API_SEAL_ID], size_t max);

/* Is the service there? The one request that needs no login (POST
 * /api/v1/nonce): it proves the URL, TLS and the protocol. */
enum ukey_probe_result {
	UKEY_PROBE_OK,           /* it answers as docs/protocol.md says */
	UKEY_PROBE_BAD_URL,      /* the configuration cannot be used: e says why */
	UKEY_PROBE_UNREACHABLE,  /* no answer (network, TLS, timeout): e says why */
	UKEY_PROBE_NOT_PROTOCOL, /* an answer, but not the protocol's */
};
struct ukey_probe {
	char base[1024]; /* the service URL as used (no trailing slash) */
	long status;     /* the answer's HTTP status, 0 without one */
	time_t date;     /* the answer's Date header, 0 when absent or unreadable */
};
enum ukey_probe_result ukey_api_probe(const struct ukey_conf *conf, struct ukey_probe *p, struct ukey_err *e);

/* --- Seals on a token ------------------------------------------------------
 * Public CKO_DATA objects whose CKA_APPLICATION is UKEY_SEAL_APPLICATION
 * ("GM/T 0031 seal"), CKA_VALUE the seal DER; read through any module. */
struct ukey_token_seal {
	CK_OBJECT_HANDLE h;
	char label[256];
	unsigned char *der;
	size_t len;
	char sha256[65]; /* lower-case hex of der: matches the service's sha256 */
};

/* All seal objects (up to 256) in session s, by label then sha256 (the
 * numbering of 'ukey show' and 'ukey seals'). *out malloc'd, *n may be 0. */
int ukey_seal_list_token(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_token_seal **out,
			 size_t *n, struct ukey_err *e);
void ukey_token_seals_free(struct ukey_token_seal *t, size_t n);

/* A seal as `ukey show` / `ukey status` list it, decoded and checked. */
struct ukey_seal_view {
	char name[256];      /* the seal's name; the object's CKA_LABEL until decoded */
	int type;            /* GM/T 0031 seal type, 0 = unknown */
	char type_name[64];  /* "" when unknown */
	time_t valid_from;   /* 0 = unknown */
	time_t valid_to;     /* 0 = unknown */
	char status[16];     /* "valid", "expired", "invalid", or "unknown" */
	char sha256[65];     /* lower-case hex of the seal DER (matches the service's), "" if unreadable */
	int decoded;         /* 1 when the fields above come from the decoded seal */
};

/* All seals on the token open in session s (public objects), in the order
 * of ukey_seal_list_token. *out is malloc'd (free()), *n may be 0. */
int ukey_seals_view_list(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_seal_view **out, size_t *n,
			 struct ukey_err *e);

/* --- Renewal -----------------------------------------------------------------
 * A journaled transaction (docs/renewal.md, docs/protocol.md "Renewal"):
 * new key pair on the token, CSR signed by it, request signed by the old
 * key, the result checked, certificate and seals written and read back,
 * only then the old signing objects retired. Each step is recorded in the
 * journal before the next begins; a rerun resumes from it. */
enum ukey_renew_step {
	UKEY_RENEW_KEYGEN = 1, UKEY_RENEW_CSR, UKEY_RENEW_REQUEST, UKEY_RENEW_CHECK,
	UKEY_RENEW_ENCRYPTION, UKEY_RENEW_WRITE, UKEY_RENEW_RETIRE, UKEY_RENEW_INSTALLED,
};
#define UKEY_RENEW_STEPS 8

struct ukey_renew_opts {
	int with_seals;       /* -1: as the order covers; 0: --cert-only; 1: --with-seals */
	const char *key_type; /* NULL: as the old key */
	void (*event)(void *arg, int step, const char *name, const char *state, const char *detail);
	void *arg;
	/* Asked before each step: nonzero stops the renewal there with
	 * UKEY_E_INTERRUPTED (everything done so far is journaled). */
	int (*stop)(void *arg);
};

struct ukey_renew_result {
	char request_id[40];
	time_t not_after;
	int resumed;
};

/* s: a session of the logged-in token; c: the client signing with the old
 * signing key. UKEY_E_WAIT (3) for every refusal before step 1. */
int ukey_renew_run(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_token_info *tok,
		   struct ukey_client *c, const struct ukey_cert *certs, size_t ncerts,
		   const struct ukey_renew_opts *o, struct ukey_renew_result *r, struct ukey_err *e);
/* Whether a renewal of the U-KEY with this medium number was interrupted
 * (its journal is there and not done): *pending, and the last step it
 * recorded in *step (NULL allowed). An unreadable journal is an error
 * (its message says to move it away). */
int ukey_renew_pending(const char *medium, int *pending, int *step, struct ukey_err *e);
/* The step's fixed identifier ("generate-key"; 0 is "preconditions"), as
 * the events give it. */
const char *ukey_renew_step_name(int step);
/* The step's name for people, translated ("generate the new key pair on
 * the U-KEY"): what progress lines and error messages show. */
const char *ukey_renew_step_label(int step);

#endif
