/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The renewal's steps, one file each (ukey_renew_run, its options and
 * result are public: ukey-renew.h). */
#ifndef UKEY_RENEW_RENEW_H
#define UKEY_RENEW_RENEW_H

#include <limits.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ukey-renew.h"

#include "p11/p11.h"
#include "service/api.h"

enum ukey_renew_kind { UKEY_KEY_RSA = 0, UKEY_KEY_EC, UKEY_KEY_SM2 };

/* journal.c: $XDG_STATE_HOME/ukey/renew-<medium>.json, written atomically
 * (temp file, fsync, rename, fsync of the directory). */
struct ukey_journal {
	char path[PATH_MAX];
	json_object *j; /* NULL: no journal */
};

int ukey_journal_open(struct ukey_journal *jn, const char *medium, struct ukey_err *e);
/* A journal of another medium that is not done: its medium in other. */
int ukey_journal_other(const char *medium, char *other, size_t len, struct ukey_err *e);
int ukey_journal_save(struct ukey_journal *jn, struct ukey_err *e);
void ukey_journal_close(struct ukey_journal *jn);
const char *ukey_journal_str(const struct ukey_journal *jn, const char *key); /* "" when absent */
int64_t ukey_journal_int(const struct ukey_journal *jn, const char *key);
void ukey_journal_set_str(struct ukey_journal *jn, const char *key, const char *val);
void ukey_journal_set_int(struct ukey_journal *jn, const char *key, int64_t val);
void ukey_journal_note(struct ukey_journal *jn, const char *note);
/* The renewal answer kept in the journal (only ever a checked one): a new
 * object with its request_id and members, NULL when there is none. */
json_object *ukey_journal_answer(const struct ukey_journal *jn);
/* answer's members into the journal (NULL: out of it); not saved. */
void ukey_journal_set_answer(struct ukey_journal *jn, json_object *answer);
/* A random (version 4) UUID. */
int ukey_journal_uuid(char out[37]);

/* keygen.c: the new signing key pair on the token. */
struct ukey_renew_key {
	enum ukey_renew_kind kind;
	CK_OBJECT_HANDLE priv, pub;
	unsigned char id[64];
	size_t id_len;
	EVP_PKEY *pkey; /* its public half, read from the token */
};

/* kind and parameters from the old certificate unless type ("rsa", "ec",
 * "sm2") is given: RSA bits, the EC curve as DER OID. */
int ukey_renew_key_params(const unsigned char *old_der, size_t old_len, const char *type,
			  enum ukey_renew_kind *kind, CK_ULONG *bits, unsigned char *ec, size_t *ec_len,
			  struct ukey_err *e);
int ukey_renew_keygen(struct ukey_conn *p, CK_SESSION_HANDLE s, enum ukey_renew_kind kind, CK_ULONG bits,
		      const unsigned char *ec, size_t ec_len, const char *label, const unsigned char *id,
		      size_t id_len, struct ukey_renew_key *k, struct ukey_err *e);
/* The key by its CKA_ID (id_len > 0) or else by label; *found 1 only for
 * a complete key pair (one cut short while being made is not found). */
int ukey_renew_key_find(struct ukey_conn *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
			const char *label, struct ukey_renew_key *k, int *found, struct ukey_err *e);
void ukey_renew_key_free(struct ukey_renew_key *k);

/* names.c: before step 1, the labels new objects get (the CA's labels of
 * the objects they replace; on a container backend a free container name)
 * and the CKA_IDs asked for, into the journal: "label_key", "label_cert",
 * "label_enc_key", "label_enc_cert", "find_key" (the label the new key is
 * found by on a container backend, else ""), "pending_key_id",
 * "pending_enc_id". */
int ukey_renew_names(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_cert *certs, size_t ncerts,
		     const struct ukey_cert *old, struct ukey_journal *jn, struct ukey_err *e);
/* At step 6: a free label for each new seal, into the journal's
 * "seal_labels" and saved, unless an interrupted run planned them. */
int ukey_renew_seal_labels(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn, json_object *seals,
			   struct ukey_err *e);

/* pending.c: what an interrupted run left. The complete new signing key
 * (by the journal's pending id or find label) in k, *found 1; else what
 * is there in part removed (noted in the journal), *found 0. */
int ukey_renew_pending_key(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
			   struct ukey_renew_key *k, int *found, struct ukey_err *e);
/* Destroys the objects with CKA_ID id and the private keys labelled label
 * (either may be empty); *removed counts them. */
int ukey_renew_pending_remove(struct ukey_conn *p, CK_SESSION_HANDLE s, const unsigned char *id, size_t id_len,
			      const char *label, int *removed, struct ukey_err *e);

/* csr.c: the PKCS#10 request, signed on the token by k; PEM, malloc'd. */
int ukey_renew_csr(struct ukey_conn *p, CK_SESSION_HANDLE s, const struct ukey_renew_key *k,
		   const unsigned char *old_der, size_t old_len, char **pem, struct ukey_err *e);

/* What a renewal answer is checked against. */
struct ukey_renew_expect {
	const unsigned char *old_der; /* the certificate being renewed */
	size_t old_len;
	const struct ukey_renew_key *k; /* the new key: kind and public half */
	const char *request_id;         /* NULL: not compared */
	int with_seals;                 /* the seals were asked for */
	int encryption;                 /* the order includes the encryption certificate: 1, 0, -1 unknown */
	time_t started;                 /* the renewal began: the new key is no older */
	time_t now;                     /* the time of the check (seal and chain validity) */
};

/* The encryption part of the answer (`encryption`), checked at step 4 with
 * the signing certificate: the certificate like the signing one (subject,
 * chain, validity), for encryption only, and its public key the one the
 * envelope carries (rsa-oaep-aes-v1: the SPKI; sm2-envelope-v1: PubKey). */
struct ukey_renew_enc {
	enum ukey_renew_kind kind;
	CK_ULONG format;    /* UKEY_ENVELOPE_* (ukey-pkcs11.h) */
	unsigned char *env; /* the envelope bytes, malloc'd */
	size_t env_len;
	unsigned char *der; /* the certificate, OPENSSL_malloc'd */
	size_t der_len;
	EVP_PKEY *pub;      /* the enveloped key's public half */
};

/* check.c: the meaning of each part, its types already checked (answer.c).
 * The certificate (PEM) against the request: key, subject, chain to the
 * old certificate's issuer, validity; *der malloc'd (OPENSSL_free). */
int ukey_renew_check(const struct ukey_renew_expect *w, const char *cert_pem, STACK_OF(X509) *chain,
		     unsigned char **der, size_t *der_len, struct ukey_err *e);
/* New seal i (0-based) decodes, verifies at now and lists the certificate der. */
int ukey_renew_check_seal(size_t i, const unsigned char *seal, size_t len, const unsigned char *der, size_t der_len,
			  time_t now, struct ukey_err *e);
/* The encryption certificate (PEM) and the envelope (copied into out). */
int ukey_renew_check_enc(const struct ukey_renew_expect *w, const char *cert_pem, CK_ULONG format,
			 const unsigned char *env, size_t env_len, STACK_OF(X509) *chain, struct ukey_renew_enc *out,
			 struct ukey_err *e);
void ukey_renew_enc_free(struct ukey_renew_enc *x);

/* answer.c: the renewal answer (docs/protocol.md "Renewal") checked whole,
 * every member's type and then its meaning, before it is journaled. A
 * failure is UKEY_E_SERVICE with a message naming the member or the fault
 * (UKEY_E_ERROR: out of memory). */
struct ukey_renew_answer {
	unsigned char *der; /* the new signing certificate, OPENSSL_malloc'd */
	size_t der_len;
	struct ukey_renew_enc enc; /* when has_enc */
	int has_enc;
};
int ukey_renew_answer_check(json_object *j, const struct ukey_renew_expect *w, struct ukey_renew_answer *a,
			    struct ukey_err *e);
/* The answer's bytes as the service sent them: strict JSON, then the check;
 * *j the parsed object on success (json_object_put it), else NULL. */
int ukey_renew_answer_parse(const char *text, size_t len, const struct ukey_renew_expect *w, json_object **j,
			    struct ukey_renew_answer *a, struct ukey_err *e);
void ukey_renew_answer_free(struct ukey_renew_answer *a);

/* encrypt.c: step 5. Imports the envelope with C_UnwrapKey
 * (CKM_UKEY_ENVELOPED_KEY_PAIR, the new signing key k unwrapping) unless
 * the pair is on the token already (an interrupted run), proves the token
 * decrypts with it, and records its CKA_ID as "enc_key_id" in the journal
 * (saved by the caller). detail: what happened, for the progress line. */
int ukey_renew_encrypt(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
		       const struct ukey_renew_key *k, const struct ukey_renew_enc *x, char *detail, size_t dlen,
		       struct ukey_err *e);
/* Before step 1: the envelope formats (names, comma-separated in out, ""
 * for none) the token imports for a new key of kind, asked of the module
 * with the old signing key (CKA_ID old_id) when it is of that kind;
 * *known 0 when that cannot be asked (then out means nothing). */
int ukey_renew_enc_formats(struct ukey_conn *p, CK_SESSION_HANDLE s, enum ukey_renew_kind kind,
			   const unsigned char *old_id, size_t old_id_len, char *out, size_t outlen, int *known,
			   struct ukey_err *e);
/* UKEY_ENVELOPE_* of a format name, 0 for an unknown one. */
CK_ULONG ukey_renew_enc_format(const char *name);

/* cmp-steps.c: steps 3 and 4 with a CMP CA (c->cmp). The key update,
 * protected by the old key (the journal's "old_id"), its certificate
 * checked as ukey_renew_check does before it is confirmed, then
 * journaled ("cmp_transaction_id" first, durably; "cmp_cert",
 * "cmp_confirmed", the nonces; saved by the caller). */
int ukey_renew_cmp_request(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_client *c, struct ukey_journal *jn,
			   const struct ukey_renew_key *k, const struct ukey_renew_expect *w, struct ukey_err *e);
/* Why a CMP renewal of (or to) an SM2 key is refused before step 1. */
const char *ukey_renew_cmp_no_sm2(void);
/* UKEY_E_WAIT when the journal says a CMP renewal finished and installed
 * old, the signing certificate now, and old is not yet within
 * UKEY_RENEW_CMP_DUE_DAYS of its end: a rerun then has nothing to do. */
#define UKEY_RENEW_CMP_DUE_DAYS 30
int ukey_renew_cmp_done_before(const struct ukey_journal *jn, const struct ukey_cert *old, time_t now,
			       struct ukey_err *e);
/* The journal's certificate checked again into a->der (no encryption
 * part, no seals: CMP carries neither). */
int ukey_renew_cmp_check(struct ukey_client *c, struct ukey_journal *jn, const struct ukey_renew_expect *w,
			 struct ukey_renew_answer *a, struct ukey_err *e);

/* install.c: step 6 (write and read back) and step 7 (retire the old). */
/* enc_id/enc_der: the new encryption key's CKA_ID and certificate (NULL,
 * 0 without one), written after the signing certificate. */
/* Labels from the journal (names.c); a seal file that an interrupted run
 * left without its content is removed and written again. */
int ukey_renew_write(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
		     const struct ukey_renew_key *k, const unsigned char *der, size_t der_len,
		     const unsigned char *enc_id, size_t enc_id_len, const unsigned char *enc_der, size_t enc_der_len,
		     json_object *seals, struct ukey_err *e);
/* old_seals: array of the sha256 of the seals on the token before the
 * renewal; notes go to the journal. With a new encryption key installed
 * (journal "encryption_installed", "enc_key_id"), the old encryption keys
 * and certificates are kept; archive.c gives them an archived label. */
int ukey_renew_retire(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn,
		      const struct ukey_renew_key *k, const unsigned char *old_der, size_t old_len,
		      json_object *old_seals, json_object *new_seals, struct ukey_err *e);

/* archive.c: step 7, the old encryption pairs (other than the journal's
 * "enc_key_id") copied under "<label> (archived DATE)", each original
 * destroyed once its copy is whole; a backend that labels them itself or
 * cannot copy leaves them as they are. Notes to the journal. */
int ukey_renew_archive(struct ukey_conn *p, CK_SESSION_HANDLE s, struct ukey_journal *jn, struct ukey_err *e);

/* refusals.c, before step 1: what the service (binding, identity, order,
 * seals) or the token (the envelope formats it opens, in fmts; *known as
 * ukey_renew_enc_formats says) would refuse, UKEY_E_WAIT with the
 * service's code. *with_seals < 0: as the order covers; *enc: the order
 * includes an encryption certificate. */
int ukey_renew_refusals(struct ukey_conn *p, CK_SESSION_HANDLE rw, struct ukey_client *c, const struct ukey_cert *old,
			const char *key_type, int *with_seals, int *enc, char *fmts, size_t fmts_len, int *known,
			struct ukey_err *e);

#endif
