/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"

/* Containers: apps/<app>/containers/<name>/ holding sign.key.pem and
 * enc.key.pem (mode 0600; never exported) and sign.cert.der, enc.cert.der.
 * The container type follows from the keys present. */

EVP_PKEY *emu_cont_key(const struct emu_cont *c, int sign)
{
	char path[PATH_MAX];

	if (emu_path(path, c->path, sign ? "sign.key.pem" : "enc.key.pem") != 0)
		return NULL;
	return emu_key_load(path);
}

static SKF_ULONG cont_dir(const struct emu_app *app, const char *name, char *dir)
{
	char base[PATH_MAX];
	SKF_ULONG rv = emu_name_check(name, EMU_MAX_CONT_NAME);

	if (rv == SAR_OK && (emu_path(base, app->path, "containers") != 0 || emu_path(dir, base, name) != 0))
		rv = SAR_NAMELENERR;
	return rv;
}

static SKF_ULONG open_cont(struct emu_obj *o, const char *name, SKF_HANDLE *ph, int create)
{
	struct emu_app *app = (struct emu_app *)o;
	struct emu_cont *c;
	struct stat st;
	char base[PATH_MAX];
	SKF_ULONG rv;

	if (!ph)
		return SAR_INVALIDPARAMERR;
	*ph = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return SAR_MEMORYERR;
	if ((rv = cont_dir(app, name, c->path)) != SAR_OK)
		goto fail;
	if (create) {
		if (!app->user_in) {
			rv = SAR_USER_NOT_LOGGED_IN;
			goto fail;
		}
		if (emu_path(base, app->path, "containers") == 0)
			mkdir(base, 0700); /* may exist already */
		if (mkdir(c->path, 0700) != 0) {
			rv = errno == EEXIST ? SAR_FILE_ALREADY_EXIST : emu_io_err(o->dev, SAR_FILEERR);
			goto fail;
		}
	} else if (stat(c->path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rv = emu_io_err(o->dev, SAR_FILE_NOT_EXIST);
		goto fail;
	}
	strcpy(c->name, name);
	c->app = app;
	emu_register(&c->hdr, EMU_CONT, o->dev);
	*ph = c;
	return SAR_OK;
fail:
	free(c);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_CreateContainer(SKF_HANDLE hApp, const SKF_CHAR *szContainerName,
					 SKF_HANDLE *phContainer)
{
	struct emu_obj *o;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	rv = open_cont(o, szContainerName, phContainer, 1);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_OpenContainer(SKF_HANDLE hApp, const SKF_CHAR *szContainerName,
				       SKF_HANDLE *phContainer)
{
	struct emu_obj *o;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	rv = open_cont(o, szContainerName, phContainer, 0);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_DeleteContainer(SKF_HANDLE hApp, const SKF_CHAR *szContainerName)
{
	struct emu_obj *o;
	struct stat st;
	char dir[PATH_MAX];
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	if ((rv = cont_dir((struct emu_app *)o, szContainerName, dir)) != SAR_OK)
		goto out;
	if (!((struct emu_app *)o)->user_in)
		rv = SAR_USER_NOT_LOGGED_IN;
	else if (stat(dir, &st) != 0)
		rv = emu_io_err(o->dev, SAR_FILE_NOT_EXIST);
	else if (emu_rm_atomic(dir) != 0) /* never half a container */
		rv = emu_io_err(o->dev, SAR_FILEERR);
out:
	emu_leave(o->dev);
	return rv;
}

/* Always releases the handle, even for an unplugged device. */
EMU_EXPORT SKF_ULONG SKF_CloseContainer(SKF_HANDLE hContainer)
{
	struct emu_obj *o;
	struct emu_dev *dev;
	SKF_ULONG rv = emu_enter(hContainer, EMU_CONT, 0, &o);

	if (rv != SAR_OK)
		return rv;
	dev = o->dev;
	emu_close_obj(o);
	emu_leave(dev);
	return SAR_OK;
}

EMU_EXPORT SKF_ULONG SKF_EnumContainer(SKF_HANDLE hApp, SKF_CHAR *szContainerName, SKF_ULONG *pulSize)
{
	char names[EMU_MAX_NAMES][EMU_MAX_CONT_NAME + 1], base[PATH_MAX];
	struct emu_obj *o;
	int n;
	SKF_ULONG rv = emu_enter(hApp, EMU_APP, 1, &o);

	if (rv != SAR_OK)
		return rv;
	n = emu_path(base, ((struct emu_app *)o)->path, "containers") == 0 ?
		    emu_list_dir(base, names, EMU_MAX_NAMES) :
		    -1;
	if (n < 0 && emu_present(o->dev))
		n = 0;
	rv = n < 0 ? SAR_DEVICE_REMOVED : emu_multi_string(names, n, szContainerName, pulSize);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_GetContainerType(SKF_HANDLE hContainer, SKF_ULONG *pulContainerType)
{
	struct emu_obj *o;
	EVP_PKEY *k = NULL;
	SKF_ULONG rv = emu_enter(hContainer, EMU_CONT, 1, &o);

	if (rv != SAR_OK)
		return rv;
	if (!pulContainerType) {
		rv = SAR_INVALIDPARAMERR;
		goto out;
	}
	k = emu_cont_key((struct emu_cont *)o, 1);
	if (!k)
		k = emu_cont_key((struct emu_cont *)o, 0);
	*pulContainerType = !k ? SKF_CONTAINER_EMPTY :
			     emu_key_is_sm2(k) ? SKF_CONTAINER_ECC :
						 SKF_CONTAINER_RSA;
	if (!emu_present(o->dev))
		rv = SAR_DEVICE_REMOVED;
out:
	EVP_PKEY_free(k);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ImportCertificate(SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag,
					   const SKF_BYTE *pbCert, SKF_ULONG ulCertLen)
{
	struct emu_obj *o;
	struct emu_cont *c;
	char path[PATH_MAX];
	SKF_ULONG rv = emu_enter(hContainer, EMU_CONT, 1, &o);

	if (rv != SAR_OK)
		return rv;
	c = (struct emu_cont *)o;
	/* Read BOOL as 32 bits: a caller with an int BOOL leaves garbage above. */
	bSignFlag = (int)bSignFlag != 0;
	if (!pbCert)
		rv = SAR_INVALIDPARAMERR;
	else if (ulCertLen == 0 || ulCertLen > EMU_MAX_CERT)
		rv = SAR_INDATALENERR;
	else if (!c->app->user_in)
		rv = SAR_USER_NOT_LOGGED_IN;
	else if (emu_path(path, c->path, bSignFlag ? "sign.cert.der" : "enc.cert.der") != 0 ||
		 emu_write_file(path, pbCert, ulCertLen, 0644) != 0)
		rv = emu_io_err(o->dev, SAR_WRITEFILEERR);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ExportCertificate(SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag,
					   SKF_BYTE *pbCert, SKF_ULONG *pulCertLen)
{
	struct emu_obj *o;
	char path[PATH_MAX];
	uint8_t *der = NULL;
	size_t len;
	SKF_ULONG rv = emu_enter(hContainer, EMU_CONT, 1, &o);

	if (rv != SAR_OK)
		return rv;
	bSignFlag = (int)bSignFlag != 0;
	if (!pulCertLen)
		rv = SAR_INVALIDPARAMERR;
	else if (emu_path(path, ((struct emu_cont *)o)->path,
			  bSignFlag ? "sign.cert.der" : "enc.cert.der") != 0 ||
		 emu_read_file(path, &der, &len) != 0)
		rv = emu_io_err(o->dev, SAR_CERTNOTFOUNTERR);
	else
		rv = emu_out_bytes(der, len, pbCert, pulCertLen);
	free(der);
	emu_leave(o->dev);
	return rv;
}

EMU_EXPORT SKF_ULONG SKF_ExportPublicKey(SKF_HANDLE hContainer, SKF_BOOL_ARG bSignFlag, SKF_BYTE *pbBlob,
					 SKF_ULONG *pulBlobLen)
{
	struct emu_obj *o;
	EVP_PKEY *k = NULL;
	SKF_ECCPUBLICKEYBLOB ecc;
	SKF_RSAPUBLICKEYBLOB rsa;
	SKF_ULONG rv = emu_enter(hContainer, EMU_CONT, 1, &o);

	if (rv != SAR_OK)
		return rv;
	if (!pulBlobLen) {
		rv = SAR_INVALIDPARAMERR;
		goto out;
	}
	if (!(k = emu_cont_key((struct emu_cont *)o, (int)bSignFlag != 0))) {
		rv = emu_io_err(o->dev, SAR_KEYNOTFOUNTERR);
		goto out;
	}
	if (emu_key_is_sm2(k))
		rv = emu_ecc_pub_to_blob(k, &ecc) == 0 ? emu_out_bytes(&ecc, sizeof(ecc), pbBlob, pulBlobLen) :
							  SAR_FAIL;
	else
		rv = emu_rsa_pub_to_blob(k, &rsa) == 0 ? emu_out_bytes(&rsa, sizeof(rsa), pbBlob, pulBlobLen) :
							  SAR_FAIL;
out:
	EVP_PKEY_free(k);
	emu_leave(o->dev);
	return rv;
}
