/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* ukey seals export N|ID: writes a seal's picture. -o FILE (the picture's
 * extension added when FILE has no picture extension; one that names
 * another picture type is refused: a viewer would misread the file), -o DIR
 * (DIR/seal-N.EXT), -o - (standard output, the picture alone), or
 * seal-N.EXT in the current directory. Never overwrites without --force. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seals.h"
#include "ukey.h"

/* The picture type an extension names, or -1 when it names none. */
static int ext_type(const char *ext)
{
	static const struct {
		const char *ext;
		enum ukey_seal_pic pic;
	} known[] = {
		{ "png", UKEY_PIC_PNG }, { "gif", UKEY_PIC_GIF }, { "jpg", UKEY_PIC_JPEG }, { "jpeg", UKEY_PIC_JPEG },
		{ "bmp", UKEY_PIC_BMP }, { "svg", UKEY_PIC_SVG }, { "ofd", UKEY_PIC_OFD },  { "bin", UKEY_PIC_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcasecmp(ext, known[i].ext) == 0)
			return (int)known[i].pic;
	return -1;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The file to write, from -o; UKEY_E_OK, or an error naming the mismatch. */
static int export_path(struct ukey_cli *c, size_t index, enum ukey_seal_pic pic, char *buf, size_t len)
{
	const char *ext = ukey_seal_pic_ext(pic), *base, *dot;
	size_t olen = c->output ? strlen(c->output) : 0;
	int named;

	if (c->output == NULL || is_dir(c->output) || (olen > 0 && c->output[olen - 1] == '/')) {
		if (c->output != NULL && !is_dir(c->output))
			return ukey_err_set(&c->err, UKEY_E_ERROR, _("the directory %s does not exist"),
					    ukey_tx(c->output));
		snprintf(buf, len, "%s%sseal-%zu.%s", c->output ? c->output : "",
			 c->output && c->output[olen - 1] != '/' ? "/" : "", index + 1, ext);
		return UKEY_E_OK;
	}
	base = strrchr(c->output, '/');
	base = base ? base + 1 : c->output;
	dot = strrchr(base, '.');
	named = dot != NULL && dot != base ? ext_type(dot + 1) : -1;
	if (named < 0) {
		snprintf(buf, len, "%s.%s", c->output, ext);
		return UKEY_E_OK;
	}
	/* A picture whose type was not recognised may take any name. */
	if ((enum ukey_seal_pic)named != pic && pic != UKEY_PIC_UNKNOWN)
		return ukey_err_set(&c->err, UKEY_E_ERROR,
				    _("the picture of seal %zu is %s, but %s names a .%s file: use a name ending in .%s, "
				      "or none (it is added)"),
				    index + 1, ext, ukey_tx(c->output), ukey_tx(dot + 1), ext);
	snprintf(buf, len, "%s", c->output);
	return UKEY_E_OK;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int export_one(struct ukey_cli *c, const struct ukey_seal_row *r, size_t index)
{
	const struct ukey_seal_bytes *pic;
	const char *ext;
	char path[4096];
	int fd, ret = UKEY_E_OK, to_stdout = c->output != NULL && strcmp(c->output, "-") == 0;

	if (r->dec == NULL)
		return ukey_err_set(&c->err, UKEY_E_ERROR, _("seal %zu cannot be decoded: %s"), index + 1,
				    ukey_tx(r->derr.msg));
	pic = &r->dec->picture.data;
	if (pic->len == 0)
		return ukey_err_set(&c->err, UKEY_E_ERROR, _("seal %zu has no picture"), index + 1);
	ext = ukey_seal_pic_ext(r->dec->picture.sniffed);
	if (to_stdout) {
		if (write_all(STDOUT_FILENO, pic->p, pic->len) != 0)
			return ukey_err_set(&c->err, UKEY_E_ERROR, _("cannot write to standard output: %s"),
					    strerror(errno));
		return UKEY_E_OK;
	}
	ret = export_path(c, index, r->dec->picture.sniffed, path, sizeof(path));
	if (ret != UKEY_E_OK)
		return ret;
	/* O_EXCL: never overwrite without --force, even in a race. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (c->force ? O_TRUNC : O_EXCL), 0644);
	if (fd < 0 && errno == EEXIST)
		return ukey_err_set(&c->err, UKEY_E_ERROR, _("%s exists; use --force to overwrite it"), ukey_tx(path));
	if (fd < 0 || write_all(fd, pic->p, pic->len) != 0)
		ret = ukey_err_set(&c->err, UKEY_E_ERROR, _("cannot write %s: %s"), ukey_tx(path), strerror(errno));
	if (fd >= 0 && close(fd) != 0 && ret == UKEY_E_OK)
		ret = ukey_err_set(&c->err, UKEY_E_ERROR, _("cannot write %s: %s"), ukey_tx(path), strerror(errno));
	if (ret != UKEY_E_OK)
		return ret;
	if (c->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "index", json_object_new_int64((int64_t)index + 1));
		json_object_object_add(o, "name", json_object_new_string(r->dec->name));
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "format", json_object_new_string(ext));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)pic->len));
		ukey_cli_print_json(o);
	} else {
		printf(_("Seal %zu (%s): picture saved to %s (%s, %zu bytes).\n"), index + 1, ukey_tx(r->dec->name),
		       ukey_tx(path), ext, pic->len);
		if (r->dec->picture.sniffed == UKEY_PIC_UNKNOWN)
			printf("%s\n", _("The picture's format was not recognised; it is saved as it is."));
	}
	return UKEY_E_OK;
}

int ukey_seals_export(struct ukey_cli *c, struct ukey_seal_row *rows, size_t n, const struct ukey_clean_list *l,
		      int have_list, const char *id)
{
	char *end;
	long k = strtol(id, &end, 10);
	size_t i;

	if (*id != '\0' && *end == '\0')
		return k >= 1 && (size_t)k <= n ? export_one(c, &rows[k - 1], (size_t)k - 1)
						: ukey_err_set(&c->err, UKEY_E_ERROR, _("no seal %s on the U-KEY (1 to %zu)"),
							       ukey_tx(id), n);
	for (i = 0; have_list && i < n; i++)
		if (rows[i].svc >= 0 && strcmp(l->seals[rows[i].svc].id, id) == 0)
			return export_one(c, &rows[i], i);
	return ukey_err_set(&c->err, UKEY_E_ERROR, _("no seal %s on the U-KEY"), ukey_tx(id));
}
