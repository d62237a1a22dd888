/* The skf driver's inventory: each container's two pairs (public key,
 * certificate) and each file, read from the device into memory so that
 * get_attrs never calls the library. A container or file keeps its id, and
 * so its refs, for as long as its name stays on the device. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define UKEY_SKF_INTERNAL
#include "drivers/skf.h"
#include "util/log.h"

#define SKF_FILE_CHUNK 2048
#define SKF_FILE_MAX (1u << 20)
#define SKF_CERT_MAX (64u * 1024)
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

static void pair_free(struct skf_pair *p)
{
	free(p->cert);
	free(p->subject);
	free(p->issuer);
	free(p->serial);
	memset(p, 0, sizeof(*p));
}

static void file_free(struct skf_file *f)
{
	if (f->value)
		OPENSSL_clear_free(f->value, f->len);
	f->value = NULL;
}

void ukey_skf_inventory_free(struct skf_dev *d)
{
	for (size_t i = 0; i < d->nconts; i++) {
		pair_free(&d->conts[i].pair[SKF_SIGN]);
		pair_free(&d->conts[i].pair[SKF_ENC]);
	}
	for (size_t i = 0; i < d->nfiles; i++)
		file_free(&d->files[i]);
	free(d->conts);
	free(d->files);
	d->conts = NULL;
	d->files = NULL;
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
	if (rv == CKR_OK && len <= sizeof(blob)) {
		/* GetContainerType may be missing or say 0: the blob's size tells. */
		c->rsa = type == SKF_CONTAINER_RSA ||
			 (type != SKF_CONTAINER_ECC && len >= sizeof(SKF_RSAPUBLICKEYBLOB));
		if (c->rsa)
			p->has_key = ukey_skf_blob_rsa_pub_decode(blob, len, p->modulus, &p->modlen,
								  p->exponent, &p->explen) == 0;
		else
			p->has_key = ukey_skf_blob_ecc_pub_decode(blob, len, p->point) == 0;
	}
	len = 0;
	rv = ukey_skf_note_inlock(d, "SKF_ExportCertificate",
				  SKF_RAW(s, SKF_ExportCertificate, h, flag, NULL, &len));
	if (rv == CKR_DEVICE_REMOVED)
		return rv;
	if (rv != CKR_OK || len == 0 || len > SKF_CERT_MAX)
		return CKR_OK;
	p->cert = calloc(1, len);
	if (!p->cert)
		return CKR_HOST_MEMORY;
	rv = ukey_skf_note_inlock(d, "SKF_ExportCertificate",
				  SKF_RAW(s, SKF_ExportCertificate, h, flag, p->cert, &len));
	if (rv != CKR_OK || len == 0) {
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

static CK_RV read_file(struct ukey_skf *s, struct skf_dev *d, struct skf_file *f, bool *skip)
{
	SKF_FILEATTRIBUTE fa;
	CK_RV rv;
	*skip = true;
	memset(&fa, 0, sizeof(fa));
	rv = ukey_skf_note_inlock(d, "SKF_GetFileInfo", SKF_RAW(s, SKF_GetFileInfo, d->happ, f->name, &fa));
	if (rv != CKR_OK)
		return rv == CKR_DEVICE_REMOVED ? rv : CKR_OK;
	f->priv = fa.ReadRights != SKF_SECURE_ANYONE_ACCOUNT;
	/* A private file is listed (and read) only while the user is in. */
	if ((f->priv && d->login != CKU_USER) || fa.FileSize > SKF_FILE_MAX)
		return CKR_OK;
	f->value = calloc(1, fa.FileSize ? fa.FileSize : 1);
	if (!f->value)
		return CKR_HOST_MEMORY;
	while (f->len < fa.FileSize) {
		SKF_ULONG want = fa.FileSize - (SKF_ULONG)f->len, got;
		if (want > SKF_FILE_CHUNK)
			want = SKF_FILE_CHUNK;
		got = want;
		rv = ukey_skf_note_inlock(d, "SKF_ReadFile",
					  SKF_RAW(s, SKF_ReadFile, d->happ, f->name, (SKF_ULONG)f->len, want,
						  f->value + f->len, &got));
		if (rv != CKR_OK) {
			file_free(f);
			f->len = 0;
			return rv == CKR_DEVICE_REMOVED ? rv : CKR_OK;
		}
		if (got == 0 || got > want)
			break;
		f->len += got;
	}
	f->len = ukey_skf_der_trim(f->value, f->len);
	f->seal = ukey_skf_is_seal(f->value, f->len);
	*skip = false;
	return CKR_OK;
}

/* The id a name had in the previous scan, or a new one. */
static uint32_t id_for(struct skf_dev *d, const char *name, bool file)
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
};

static void scan_container(const char *name, void *arg)
{
	struct scan *w = arg;
	struct skf_container *c = &w->conts[w->n];
	if (w->rv != CKR_OK || strlen(name) > SKF_NAME_MAX)
		return;
	memset(c, 0, sizeof(*c));
	strcpy(c->name, name);
	c->id = id_for(w->d, name, false);
	w->rv = read_container(w->s, w->d, c);
	/* A retired signing pair is no longer listed; only a container that
	 * keeps an encryption pair is ever retired (skf-retire.c). */
	if (w->rv == CKR_OK && c->pair[SKF_ENC].has_key && ukey_skf_retired_has(w->retired, c)) {
		pair_free(&c->pair[SKF_SIGN]);
		c->sign_retired = true;
	}
	if (w->rv == CKR_OK) {
		w->n++;
	} else {
		pair_free(&c->pair[SKF_SIGN]);
		pair_free(&c->pair[SKF_ENC]);
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
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	f->id = id_for(w->d, name, true);
	w->rv = read_file(w->s, w->d, f, &skip);
	if (w->rv == CKR_OK && !skip)
		w->n++;
	else
		file_free(f);
}

static void find_retired_file(const char *name, void *arg)
{
	if (ukey_skf_retired_file(name))
		*(bool *)arg = true;
}

CK_RV ukey_skf_scan_inlock(struct ukey_skf *s, struct skf_dev *d)
{
	bool listed = false;
	struct scan wc = { s, d, NULL, NULL, 0, CKR_OK, NULL }, wf = { s, d, NULL, NULL, 0, CKR_OK, NULL };
	char *clist = NULL, *flist = NULL, *retired = NULL;
	size_t csize = 0, fsize = 0;
	CK_RV rv = ukey_skf_enum_inlock(s, d, SKF_ENUM_CONTAINER, &clist, &csize);
	if (rv == CKR_OK && SKF_HAS(s, SKF_EnumFiles))
		rv = ukey_skf_enum_inlock(s, d, SKF_ENUM_FILE, &flist, &fsize);
	/* Without SKF_EnumFiles the file is looked up by name. */
	if (rv == CKR_OK && flist)
		ukey_skf_names_walk(flist, fsize, find_retired_file, &listed);
	if (rv == CKR_OK && (listed || !flist))
		rv = ukey_skf_retired_load_inlock(s, d, &retired);
	else if (rv == CKR_OK)
		d->retired_warned = false;   /* gone: a new damaged one warns again */
	if (rv != CKR_OK)
		goto out;
	wc.retired = retired;
	wc.conts = calloc(csize / 2 + 2, sizeof(*wc.conts));
	wf.files = calloc(fsize / 2 + 2, sizeof(*wf.files));
	if (!wc.conts || !wf.files) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	ukey_skf_names_walk(clist, csize, scan_container, &wc);
	if (flist)
		ukey_skf_names_walk(flist, fsize, scan_file, &wf);
	rv = wc.rv != CKR_OK ? wc.rv : wf.rv;
	if (rv != CKR_OK)
		goto out;
	ukey_skf_inventory_free(d);   /* ids live on in d->next_obj_id */
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
		pair_free(&wc.conts[i].pair[SKF_SIGN]);
		pair_free(&wc.conts[i].pair[SKF_ENC]);
	}
	for (size_t i = 0; wf.files && i < wf.n; i++)
		file_free(&wf.files[i]);
	free(wc.conts);
	free(wf.files);
	free(clist);
	free(flist);
	free(retired);
	return rv;
}
