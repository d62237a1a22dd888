/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The skf driver's inventory: each container's two pairs (public key,
 * certificate) read from the device into memory, and each file's name, size
 * and rights (its content is read only when asked for: file.c). A
 * container or file keeps its id, and so its refs, for as long as its name
 * stays on the device. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf/skf.h"
#include "util/log.h"

#define SKF_FILE_MAX (1u << 20)
#define SKF_CERT_MAX (64u * 1024)
#define SKF_CERT_FIRST 4096u
#define SKF_PUBBLOB_MAX 512

void ukey_skf_pair_id(const char *container, int usage, uint8_t id[8])
{
	uint8_t md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *tail = usage == SKF_SIGN ? ":sign" : ":enc";
	memset(md, 0, sizeof(md));
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, "ukey-skf:", 9) != 1 ||
	    EVP_DigestUpdate(ctx, container, strlen(container)) != 1 ||
	    EVP_DigestUpdate(ctx, tail, strlen(tail)) != 1 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		ukey_error("SHA-256 failed while deriving CKA_ID");
	EVP_MD_CTX_free(ctx);
	memcpy(id, md, 8);
}

static void pair_free_cert(struct skf_pair *p)
{
	free(p->cert);
	free(p->subject);
	free(p->issuer);
	free(p->serial);
	p->cert = p->subject = p->issuer = p->serial = NULL;
	p->certlen = p->subjectlen = p->issuerlen = p->seriallen = 0;
	p->has_cert = false;
}

void ukey_skf_pair_free(struct skf_pair *p)
{
	pair_free_cert(p);
	memset(p, 0, sizeof(*p));
}

void ukey_skf_inventory_free(struct skf_dev *d)
{
	for (size_t i = 0; i < d->nconts; i++) {
		ukey_skf_pair_free(&d->conts[i].pair[SKF_SIGN]);
		ukey_skf_pair_free(&d->conts[i].pair[SKF_ENC]);
	}
	for (size_t i = 0; i < d->nfiles; i++)
		ukey_skf_file_forget(&d->files[i]);
	free(d->conts);
	free(d->files);
	free(d->retired_names);
	d->conts = NULL;
	d->files = NULL;
	d->retired_names = NULL;
	d->retired_known = false;
	d->nconts = d->nfiles = 0;
	d->scanned = false;
}

struct skf_container *ukey_skf_container(struct skf_dev *d, uint32_t id)
{
	for (size_t i = 0; i < d->nconts; i++)
		if (d->conts[i].id == id)
			return &d->conts[i];
	return NULL;
}

struct skf_file *ukey_skf_file(struct skf_dev *d, uint32_t id)
{
	for (size_t i = 0; i < d->nfiles; i++)
		if (d->files[i].id == id)
			return &d->files[i];
	return NULL;
}

CK_RV ukey_skf_container_open(struct ukey_skf *s, struct skf_dev *d, const char *name, SKF_HANDLE *h)
{
	*h = NULL;
	return ukey_skf_note_inlock(d, "SKF_OpenContainer", SKF_RAW(s, SKF_OpenContainer, d->happ, name, h));
}

void ukey_skf_container_close(struct ukey_skf *s, SKF_HANDLE h)
{
	if (h)
		(void)SKF_RAW(s, SKF_CloseContainer, h);
}

/* DER of the certificate's subject, issuer and serial, for the attributes. */
static void cert_parse(struct skf_pair *p)
{
	const unsigned char *q = p->cert;
	X509 *x = d2i_X509(NULL, &q, (long)p->certlen);
	unsigned char *out;
	int n;
	if (!x) {
		ukey_warn("certificate of %zu bytes does not parse", p->certlen);
		return;
	}
	out = NULL;
	if ((n = i2d_X509_NAME(X509_get_subject_name(x), &out)) > 0) {
		p->subject = out;
		p->subjectlen = (size_t)n;
	}
	out = NULL;
	if ((n = i2d_X509_NAME(X509_get_issuer_name(x), &out)) > 0) {
		p->issuer = out;
		p->issuerlen = (size_t)n;
	}
	out = NULL;
	if ((n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &out)) > 0) {
		p->serial = out;
		p->seriallen = (size_t)n;
	}
	X509_free(x);
}

void ukey_skf_pair_key(struct skf_container *c, int usage, SKF_ULONG type, const uint8_t *blob, size_t len)
{
	struct skf_pair *p = &c->pair[usage];
	/* GetContainerType may be missing or say 0: the blob's size tells. */
	const char *why = NULL;
	SKF_ULONG algid = SGD_RSA;
	bool left = false;
	c->rsa = type == SKF_CONTAINER_RSA || (type != SKF_CONTAINER_ECC && len >= sizeof(SKF_RSAPUBLICKEYBLOB));
	if (c->rsa)
		p->has_key = ukc_skf_rsa_pub_unpack(blob, len, p->modulus, &p->modlen, p->exponent, &p->explen,
						    &algid, &why) == 0;
	else
		p->has_key = ukc_skf_ecc_pub_unpack(blob, len, p->point, &left, &why) == 0;
	if (!p->has_key)
		ukey_warn("container %s: %s", c->name, why);
	else if (algid != SGD_RSA)
		ukey_debug("container %s: RSA public key blob with AlgID 0x%08x", c->name, (unsigned)algid);
	else if (left)
		ukey_debug("container %s: ECC public key blob with left-aligned coordinates", c->name);
}

CK_RV ukey_skf_pair_cert(struct skf_pair *p, const uint8_t *der, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return CKR_HOST_MEMORY;
	memcpy(copy, der, len);
	pair_free_cert(p);
	p->cert = copy;
	p->certlen = ukey_skf_der_trim(copy, len);
	p->has_cert = true;
	cert_parse(p);
	return CKR_OK;
}

/* One usage of an open container: its public key and its certificate. */
static CK_RV read_pair(struct ukey_skf *s, struct skf_dev *d, SKF_HANDLE h, struct skf_container *c,
		       int usage, SKF_ULONG type)
{
	struct skf_pair *p = &c->pair[usage];
	SKF_BOOL_ARG flag = usage == SKF_SIGN ? SKF_TRUE : SKF_FALSE;
	uint8_t blob[SKF_PUBBLOB_MAX];
	SKF_ULONG len = sizeof(blob);
	CK_RV rv;

	ukey_skf_pair_id(c->name, usage, p->id);
	memset(blob, 0, sizeof(blob));
	rv = ukey_skf_note_inlock(d, "SKF_ExportPublicKey", SKF_RAW(s, SKF_ExportPublicKey, h, flag, blob, &len));
	if (rv == CKR_DEVICE_REMOVED)
		return rv;
	if (rv == CKR_OK && len <= sizeof(blob))
		ukey_skf_pair_key(c, usage, type, blob, len);
	/* One call with room for a usual certificate, not a sizing call
	 * first (each is a round trip on a real key); a larger one gives
	 * SAR_BUFFER_TOO_SMALL and its size. */
	SKF_ULONG cap = SKF_CERT_FIRST;
	len = cap;
	p->cert = calloc(1, cap);
	if (!p->cert)
		return CKR_HOST_MEMORY;
	rv = ukey_skf_note_inlock(d, "SKF_ExportCertificate",
				  SKF_RAW(s, SKF_ExportCertificate, h, flag, p->cert, &len));
	if (rv == CKR_BUFFER_TOO_SMALL && len > cap && len <= SKF_CERT_MAX) {
		uint8_t *grown = realloc(p->cert, len);
		if (!grown)
			return CKR_HOST_MEMORY;
		p->cert = grown;
		cap = len;
		rv = ukey_skf_note_inlock(d, "SKF_ExportCertificate",
					  SKF_RAW(s, SKF_ExportCertificate, h, flag, p->cert, &len));
	}
	if (rv != CKR_OK || len == 0 || len > cap) {
		free(p->cert);
		p->cert = NULL;
		return rv == CKR_DEVICE_REMOVED ? rv : CKR_OK;
	}
	p->certlen = ukey_skf_der_trim(p->cert, len);
	p->has_cert = true;
	cert_parse(p);
	return CKR_OK;
}

static CK_RV read_container(struct ukey_skf *s, struct skf_dev *d, struct skf_container *c)
{
	SKF_HANDLE h;
	SKF_ULONG type = SKF_CONTAINER_EMPTY;
	CK_RV rv = ukey_skf_container_open(s, d, c->name, &h);
	if (rv != CKR_OK)
		return rv;
	if (SKF_HAS(s, SKF_GetContainerType) && SKF_RAW(s, SKF_GetContainerType, h, &type) != SAR_OK)
		type = SKF_CONTAINER_EMPTY;
	rv = read_pair(s, d, h, c, SKF_SIGN, type);
	if (rv == CKR_OK)
		rv = read_pair(s, d, h, c, SKF_ENC, c->rsa ? SKF_CONTAINER_RSA : type);
	ukey_skf_container_close(s, h);
	return rv;
}

/* What SKF_GetFileInfo says; *skip when the file is not a data object. */
static CK_RV file_info(struct ukey_skf *s, struct skf_dev *d, struct skf_file *f, bool *skip)
{
	SKF_FILEATTRIBUTE fa;
	CK_RV rv;
	*skip = true;
	memset(&fa, 0, sizeof(fa));
	rv = ukey_skf_note_inlock(d, "SKF_GetFileInfo", SKF_RAW(s, SKF_GetFileInfo, d->happ, f->name, &fa));
	if (rv != CKR_OK)
		return rv == CKR_DEVICE_REMOVED ? rv : CKR_OK;
	if (fa.FileSize > SKF_FILE_MAX) {
		ukey_info("SKF device %s: file %s of %u bytes is not offered (limit %u)", d->name, f->name,
			  (unsigned)fa.FileSize, SKF_FILE_MAX);
		return CKR_OK;
	}
	/* A private file is listed only while the user is in (objects.c). */
	f->priv = fa.ReadRights != SKF_SECURE_ANYONE_ACCOUNT;
	f->size = (uint32_t)fa.FileSize;
	*skip = false;
	return CKR_OK;
}

uint32_t ukey_skf_id_for(struct skf_dev *d, const char *name, bool file)
{
	if (file) {
		for (size_t i = 0; i < d->nfiles; i++)
			if (strcmp(d->files[i].name, name) == 0)
				return d->files[i].id;
	} else {
		for (size_t i = 0; i < d->nconts; i++)
			if (strcmp(d->conts[i].name, name) == 0)
				return d->conts[i].id;
	}
	return ++d->next_obj_id;
}

struct scan {
	struct ukey_skf *s;
	struct skf_dev *d;
	struct skf_container *conts;
	struct skf_file *files;
	size_t n;
	CK_RV rv;
	const char *retired;              /* the ukey-retired records, or NULL */
	bool reuse;                       /* what the last scan read stands */
};

static uint8_t *dup_bytes(const uint8_t *p, size_t n, bool *bad)
{
	uint8_t *q = p && n ? malloc(n) : NULL;
	if (q)
		memcpy(q, p, n);
	else if (p && n)
		*bad = true;
	return q;
}

/* c = a copy of what the last scan read of the container (the driver has
 * not changed it since; a change behind its back is seen when token/ asks
 * for a new reading: ukey_skf_reread). */
static CK_RV container_copy(struct skf_container *c, const struct skf_container *old)
{
	bool bad = false;
	*c = *old;
	for (int u = SKF_SIGN; u <= SKF_ENC; u++) {
		struct skf_pair *p = &c->pair[u];
		const struct skf_pair *o = &old->pair[u];
		p->cert = dup_bytes(o->cert, o->certlen, &bad);
		p->subject = dup_bytes(o->subject, o->subjectlen, &bad);
		p->issuer = dup_bytes(o->issuer, o->issuerlen, &bad);
		p->serial = dup_bytes(o->serial, o->seriallen, &bad);
	}
	return bad ? CKR_HOST_MEMORY : CKR_OK;
}

struct skf_container *ukey_skf_container_named(struct skf_dev *d, const char *name)
{
	for (size_t i = 0; i < d->nconts; i++)
		if (strcmp(d->conts[i].name, name) == 0)
			return &d->conts[i];
	return NULL;
}

static const struct skf_file *last_file(const struct skf_dev *d, const char *name)
{
	for (size_t i = 0; i < d->nfiles; i++)
		if (strcmp(d->files[i].name, name) == 0)
			return &d->files[i];
	return NULL;
}


static void scan_container(const char *name, void *arg)
{
	struct scan *w = arg;
	struct skf_container *c = &w->conts[w->n];
	if (w->rv != CKR_OK || strlen(name) > SKF_NAME_MAX)
		return;
	const struct skf_container *old = w->reuse ? ukey_skf_container_named(w->d, name) : NULL;
	memset(c, 0, sizeof(*c));
	if (old && !old->touched) {
		w->rv = container_copy(c, old);
	} else {
		strcpy(c->name, name);
		c->id = ukey_skf_id_for(w->d, name, false);
		w->rv = read_container(w->s, w->d, c);
	}
	/* A retired signing pair is no longer listed; only a container that
	 * keeps an encryption pair is ever retired (retire.c). */
	if (w->rv == CKR_OK && c->pair[SKF_ENC].has_key && ukey_skf_retired_has(w->retired, c)) {
		ukey_skf_pair_free(&c->pair[SKF_SIGN]);
		c->sign_retired = true;
	}
	if (w->rv == CKR_OK) {
		w->n++;
	} else {
		ukey_skf_pair_free(&c->pair[SKF_SIGN]);
		ukey_skf_pair_free(&c->pair[SKF_ENC]);
		/* One unreadable container does not hide the others. */
		if (w->rv != CKR_DEVICE_REMOVED && w->rv != CKR_HOST_MEMORY)
			w->rv = CKR_OK;
	}
}

static void scan_file(const char *name, void *arg)
{
	struct scan *w = arg;
	struct skf_file *f = &w->files[w->n];
	bool skip = true;
	/* The driver's own bookkeeping is not a data object. */
	if (w->rv != CKR_OK || strlen(name) > 32 || ukey_skf_retired_file(name))
		return;
	const struct skf_file *old = w->reuse ? last_file(w->d, name) : NULL;
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	f->id = ukey_skf_id_for(w->d, name, true);
	if (old) {
		/* Name, size and rights as the last scan read them; the content
		 * is read again when asked for. */
		f->priv = old->priv;
		f->size = old->size;
		w->n++;
		return;
	}
	w->rv = file_info(w->s, w->d, f, &skip);
	if (w->rv == CKR_OK && !skip)
		w->n++;
}

static void find_retired_file(const char *name, void *arg)
{
	if (ukey_skf_retired_file(name))
		*(bool *)arg = true;
}

CK_RV ukey_skf_scan_inlock(struct ukey_skf *s, struct skf_dev *d)
{
	bool listed = false, want;
	struct scan wc = { s, d, NULL, NULL, 0, CKR_OK, NULL, false }, wf = { s, d, NULL, NULL, 0, CKR_OK, NULL, false };
	char *clist = NULL, *flist = NULL, *retired = NULL;
	size_t csize = 0, fsize = 0;
	CK_RV rv = ukey_skf_enum_inlock(s, d, SKF_ENUM_CONTAINER, &clist, &csize);
	if (rv == CKR_OK && SKF_HAS(s, SKF_EnumFiles))
		rv = ukey_skf_enum_inlock(s, d, SKF_ENUM_FILE, &flist, &fsize);
	/* Without SKF_EnumFiles the file is looked up by name. */
	if (rv == CKR_OK && flist)
		ukc_skf_names_walk(flist, fsize, find_retired_file, &listed);
	want = rv == CKR_OK && (listed || !flist);
	/* The list as last read, unless the driver wrote it since. */
	if (want && d->scanned && d->retired_known && d->retired_names)
		rv = (retired = strdup(d->retired_names)) ? CKR_OK : CKR_HOST_MEMORY;
	else if (want)
		rv = ukey_skf_retired_load_inlock(s, d, &retired);
	else if (rv == CKR_OK)
		d->retired_warned = false;   /* gone: a new damaged one warns again */
	if (rv != CKR_OK)
		goto out;
	wc.retired = retired;
	wc.reuse = wf.reuse = d->scanned;
	wc.conts = calloc(csize / 2 + 2, sizeof(*wc.conts));
	wf.files = calloc(fsize / 2 + 2, sizeof(*wf.files));
	if (!wc.conts || !wf.files) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	ukc_skf_names_walk(clist, csize, scan_container, &wc);
	if (flist)
		ukc_skf_names_walk(flist, fsize, scan_file, &wf);
	rv = wc.rv != CKR_OK ? wc.rv : wf.rv;
	if (rv != CKR_OK)
		goto out;
	ukey_skf_inventory_free(d);   /* ids live on in d->next_obj_id */
	d->retired_names = retired;
	d->retired_known = true;
	retired = NULL;
	d->conts = wc.conts;
	d->nconts = wc.n;
	d->files = wf.files;
	d->nfiles = wf.n;
	d->scanned = true;
	wc.conts = NULL;
	wf.files = NULL;
	wc.n = wf.n = 0;
out:
	for (size_t i = 0; wc.conts && i < wc.n; i++) {
		ukey_skf_pair_free(&wc.conts[i].pair[SKF_SIGN]);
		ukey_skf_pair_free(&wc.conts[i].pair[SKF_ENC]);
	}
	free(wc.conts);
	free(wf.files);
	free(clist);
	free(flist);
	free(retired);
	return rv;
}
