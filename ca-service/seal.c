/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seal.c: makes electronic seals with common/seal-asn1 -- the
 * holder's certificate in certList, a picture of real size (seal-picture.c),
 * signed by the seal maker (SM2, SM3 with the GM/T 0009 ID) -- and stores
 * them. Shape 4 is GB/T 38540-2020, shape 1 GM/T 0031-2014.
 */
#include "config.h"

#include "svc.h"

#include <string.h>
#include <time.h>

#include <openssl/objects.h>

#include "seal-asn1.h"

static int fill_common(SES_HEADER *h, int version, ASN1_IA5STRING *es, const char *es_id,
		       SES_PICTURE *pic, long type)
{
	const char *label;
	size_t len;
	unsigned char *data = svc_seal_picture(type, &label, &len);
	int ok = data && len < 0x7fffffff && ASN1_STRING_set(h->id, "ES", 2) &&
		 ASN1_INTEGER_set(h->version, version) && ASN1_STRING_set(h->vid, "UKEYTEST", 8) &&
		 ASN1_STRING_set(es, es_id, -1) && ASN1_STRING_set(pic->type, label, -1) &&
		 ASN1_STRING_set(pic->data, data, (int)len) && ASN1_INTEGER_set(pic->width, 40) &&
		 ASN1_INTEGER_set(pic->height, 40);

	free(data);
	return ok;
}

static int add_cert(STACK_OF(ASN1_TYPE) *list, X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der), ok = 0;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_TYPE *t = ASN1_TYPE_new();

	if (len > 0 && os && t && ASN1_OCTET_STRING_set(os, der, len)) {
		ASN1_TYPE_set(t, V_ASN1_OCTET_STRING, os);
		os = NULL;
		if (sk_ASN1_TYPE_push(list, t) > 0) {
			t = NULL;
			ok = 1;
		}
	}
	ASN1_OCTET_STRING_free(os);
	ASN1_TYPE_free(t);
	OPENSSL_free(der);
	return ok;
}

static int set_time(ASN1_TIME *t, time_t when, int generalized)
{
	return generalized ? ASN1_GENERALIZEDTIME_set(t, when) != NULL
			   : ASN1_UTCTIME_set(t, when) != NULL;
}

static int set_bits(ASN1_BIT_STRING *bs, const unsigned char *p, int n)
{
	if (!ASN1_BIT_STRING_set(bs, (unsigned char *)p, n))
		return 0;
	/* Whole bytes: unused-bits count 0, whatever the last byte is. */
	bs->flags &= ~0x07L;
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return 1;
}

unsigned char *svc_seal_make(struct svc *s, X509 *holder, const char *es_id, const char *name,
			     long type, time_t from, time_t to, int shape, int *len)
{
	ukc_ses_seal view = { .shape = shape };
	unsigned char *maker = NULL, *tbs = NULL, *sig = NULL, *out = NULL;
	int maker_len = i2d_X509(s->maker_cert, &maker), tbs_len, sig_len, ok = 0;
	time_t now = time(NULL);

	*len = 0;
	if (maker_len <= 0)
		goto done;
	if (shape == 4) {
		SES_SEAL_V4 *v = view.v4 = SES_SEAL_V4_new();
		SES_PROPERTY_V4 *p = v ? v->seal_info->property : NULL;
		if (v == NULL || !fill_common(v->seal_info->header, 4, v->seal_info->es_id, es_id,
					      v->seal_info->picture, type) ||
		    !ASN1_INTEGER_set(p->type, type) || !ASN1_STRING_set(p->name, name, -1) ||
		    !ASN1_INTEGER_set(p->cert_list_type, 1) || !add_cert(p->cert_list, holder) ||
		    !set_time(p->create_date, now, 1) || !set_time(p->valid_start, from, 1) ||
		    !set_time(p->valid_end, to, 1) ||
		    !ASN1_OCTET_STRING_set(v->cert, maker, maker_len))
			goto done;
		ASN1_OBJECT_free(v->sign_alg_id);
		v->sign_alg_id = OBJ_nid2obj(ukc_ses_sig_nid(s->maker_key));
	} else {
		SES_SEAL_V1 *v = view.v1 = SES_SEAL_V1_new();
		SES_PROPERTY_V1 *p = v ? v->seal_info->property : NULL;
		if (v == NULL || !fill_common(v->seal_info->header, 1, v->seal_info->es_id, es_id,
					      v->seal_info->picture, type) ||
		    !ASN1_INTEGER_set(p->type, type) || !ASN1_STRING_set(p->name, name, -1) ||
		    !add_cert(p->cert_list, holder) || !set_time(p->create_date, now, 0) ||
		    !set_time(p->valid_start, from, 0) || !set_time(p->valid_end, to, 0) ||
		    !ASN1_OCTET_STRING_set(v->sign_info->cert, maker, maker_len))
			goto done;
		ASN1_OBJECT_free(v->sign_info->signature_algorithm);
		v->sign_info->signature_algorithm = OBJ_nid2obj(ukc_ses_sig_nid(s->maker_key));
	}
	tbs_len = ukc_ses_tbs(&view, &tbs);
	if (tbs_len <= 0)
		goto done;
	sig_len = ukc_ses_sign_bytes(s->maker_key, tbs, (size_t)tbs_len, &sig);
	if (sig_len <= 0 ||
	    !set_bits(view.v4 ? view.v4->signed_value : view.v1->sign_info->sign_data, sig, sig_len))
		goto done;
	*len = view.v4 ? i2d_SES_SEAL_V4(view.v4, &out) : i2d_SES_SEAL_V1(view.v1, &out);
	ok = *len > 0;
done:
	if (!ok) {
		OPENSSL_free(out);
		out = NULL;
		*len = 0;
	}
	SES_SEAL_V4_free(view.v4);
	SES_SEAL_V1_free(view.v1);
	OPENSSL_free(maker);
	OPENSSL_free(tbs);
	OPENSSL_free(sig);
	return out;
}

/* Stores a seal; returns its id "S<n>" in id (at least 24 bytes). */
int svc_seal_store(struct svc *s, const char *medium, const char *es_id, const char *name,
		   long type, const char *status, const unsigned char *der, int len, time_t from,
		   time_t to, char *id)
{
	char hex[65];
	int rc;

	if (ukc_sha256_hex(der, (size_t)len, hex) == NULL)
		return -1;
	rc = svc_db_run(s, "INSERT INTO seals(medium, es_id, name, type, status, der, sha256,"
			   " valid_from, valid_to) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)", "sssisbsii",
			medium, es_id, name, (int64_t)type, status, der, len, hex, (int64_t)from,
			(int64_t)to);
	if (rc == 0)
		snprintf(id, 24, "S%lld", (long long)sqlite3_last_insert_rowid(s->db));
	return rc;
}

static void add_out(json_object *a, const char *id, const char *name, long type,
		    const char *status, const unsigned char *der, int len)
{
	json_object *j = json_object_new_object();
	char *b = ukc_b64_encode(der, (size_t)len);

	json_object_object_add(j, "id", json_object_new_string(id));
	json_object_object_add(j, "name", json_object_new_string(name));
	json_object_object_add(j, "type", json_object_new_int64(type));
	json_object_object_add(j, "status", json_object_new_string(status));
	json_object_object_add(j, "der", json_object_new_string(b ? b : ""));
	free(b);
	json_object_array_add(a, j);
}

/* The "印章数据存在异常" situation: a seal, its identical duplicate, a
 * second seal (2014 shape) and an unusable remake sharing the first one's
 * esID. */
int svc_seals_add(struct svc *s, const char *medium, json_object *out)
{
	sqlite3_stmt *st = svc_db_prep(s, "SELECT der FROM certificates WHERE medium = ? AND"
					  " revoked = 0 ORDER BY id DESC LIMIT 1", "s", medium);
	const unsigned char *p;
	unsigned char *d1 = NULL, *d2 = NULL, *d3 = NULL;
	int l1, l2, l3, ret = -1;
	char es1[32], es2[32], id[24];
	json_object *a = json_object_new_array();
	time_t now = time(NULL), to;
	X509 *x = NULL;

	if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
		goto out;
	p = sqlite3_column_blob(st, 0);
	x = d2i_X509(NULL, &p, sqlite3_column_bytes(st, 0));
	if (x == NULL)
		goto out;
	to = svc_asn1_time(X509_get0_notAfter(x));
	snprintf(es1, sizeof(es1), "440100%08lld", (long long)svc_next_id(s, "seal"));
	snprintf(es2, sizeof(es2), "440100%08lld", (long long)svc_next_id(s, "seal"));
	d1 = svc_seal_make(s, x, es1, "业务章", 1, now, to, 4, &l1);
	d2 = svc_seal_make(s, x, es2, "财务专用章", 2, now, to, 1, &l2);
	d3 = svc_seal_make(s, x, es1, "业务章", 1, now, to, 4, &l3);
	if (!d1 || !d2 || !d3)
		goto out;
	if (svc_seal_store(s, medium, es1, "业务章", 1, "usable", d1, l1, now, to, id))
		goto out;
	add_out(a, id, "业务章", 1, "usable", d1, l1);
	if (svc_seal_store(s, medium, es1, "业务章", 1, "usable", d1, l1, now, to, id))
		goto out;
	add_out(a, id, "业务章", 1, "usable", d1, l1);
	if (svc_seal_store(s, medium, es2, "财务专用章", 2, "usable", d2, l2, now, to, id))
		goto out;
	add_out(a, id, "财务专用章", 2, "usable", d2, l2);
	if (svc_seal_store(s, medium, es1, "业务章", 1, "unusable", d3, l3, now, to, id))
		goto out;
	add_out(a, id, "业务章", 1, "unusable", d3, l3);
	if (svc_db_run(s, "UPDATE media SET seals_state = 'abnormal' WHERE medium = ?", "s", medium))
		goto out;
	json_object_object_add(out, "state", json_object_new_string("abnormal"));
	json_object_object_add(out, "seals", a);
	a = NULL;
	ret = 0;
out:
	json_object_put(a);
	sqlite3_finalize(st);
	X509_free(x);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
	OPENSSL_free(d3);
	return ret;
}
