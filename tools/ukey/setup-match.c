/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* setup-match.c: from the devices present to the libraries to write.
 * A device matches the entries that name its vendor and product (or every
 * product of its vendor); failing those, the entries of its vendor, since
 * vendors add products faster than any table. Each matching entry's library
 * is looked for in its directories, then the table's defaults; one already
 * named by a [backend] of the file (the same file, by device and inode,
 * as the module compares them) needs nothing; any other is probed through
 * the module. Per device the first entry whose library loads and sees a
 * device wins: the table lists a vendor's SKF library before its PKCS#11
 * one, and the same U-KEY through both would show twice. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "setup.h"

static int matches(const struct setup_entry *en, const struct setup_usb_dev *u, int product)
{
	for (size_t i = 0; i < en->nusb; i++)
		if (en->usb[i].vid == u->vid &&
		    (!product || en->usb[i].pid == SETUP_PID_ANY || en->usb[i].pid == (int)u->pid))
			return 1;
	return 0;
}

/* The entry's candidate, made on first use (one per entry: two devices of
 * one product share it). */
static size_t cand_for(struct setup_match *m, const struct setup_entry *en)
{
	for (size_t i = 0; i < m->ncand; i++)
		if (m->cand[i].en == en)
			return i;
	memset(&m->cand[m->ncand], 0, sizeof(m->cand[0]));
	m->cand[m->ncand].en = en;
	return m->ncand++;
}

static int try_dir(struct setup_cand *c, const char *root, const char *dir)
{
	struct stat st;

	for (size_t l = 0; l < c->en->nlibs; l++) {
		if (snprintf(c->lib, sizeof(c->lib), "%s%s/%s", root, dir, c->en->libs[l]) >= (int)sizeof(c->lib))
			continue;
		if (stat(c->lib, &st) == 0 && S_ISREG(st.st_mode)) {
			c->dev = st.st_dev;
			c->ino = st.st_ino;
			return 1;
		}
	}
	c->lib[0] = '\0';
	return 0;
}

/* $UKEY_VENDOR_ROOT is put before every directory: the tests' vendor tree,
 * or a system mounted elsewhere. */
static void find_library(struct setup_cand *c, const struct setup_table *t)
{
	const char *root = getenv("UKEY_VENDOR_ROOT");

	if (root == NULL)
		root = "";
	for (size_t d = 0; d < c->en->npaths; d++)
		if (try_dir(c, root, c->en->paths[d]))
			return;
	for (size_t d = 0; d < t->ndefaults; d++)
		if (try_dir(c, root, t->defaults[d]))
			return;
}

static const char *configured_in(const struct setup_cand *c, const struct setup_conf *conf)
{
	struct stat st;

	for (size_t i = 0; i < conf->nsections; i++)
		if (stat(conf->existing[i].library, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
			return conf->existing[i].name;
	return NULL;
}

/* One section naming the candidate alone, in a private directory, loaded
 * by the module in a child process. */
static void probe(struct setup_cand *c, const char *module)
{
	char dir[PATH_MAX], conf[PATH_MAX + 16];
	const char *tmp = getenv("TMPDIR");
	struct setup_probe p;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/ukey-setup.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		c->state = SETUP_FAILS;
		snprintf(c->reason, sizeof(c->reason), _("cannot make a directory to probe it in: %s"), strerror(errno));
		return;
	}
	snprintf(conf, sizeof(conf), "%s/probe.conf", dir);
	f = fopen(conf, "we");
	if (f != NULL) {
		fprintf(f, "[backend %s]\ndriver = %s\nlibrary = %s\n", c->en->id, c->en->driver, c->lib);
		if (c->en->quirks[0])
			fprintf(f, "quirks = %s\n", c->en->quirks);
		if (fclose(f) != 0)
			f = NULL;
	}
	if (f == NULL) {
		c->state = SETUP_FAILS;
		snprintf(c->reason, sizeof(c->reason), _("cannot write %s: %s"), conf, strerror(errno));
	} else if (setup_probe_run(module, conf, &p) != 0) {
		c->state = SETUP_FAILS;
		snprintf(c->reason, sizeof(c->reason), "%s", p.error);
	} else if (p.config_error[0] || p.nbackends != 1) {
		c->state = SETUP_FAILS;
		snprintf(c->reason, sizeof(c->reason), "%s", p.config_error);
	} else if (p.b[0].rv != 0) {
		c->state = SETUP_FAILS;
		snprintf(c->reason, sizeof(c->reason), "%s", p.b[0].reason);
	} else {
		c->devices = p.b[0].devices;
		c->state = c->devices ? SETUP_WORKS : SETUP_NO_DEVICE;
	}
	unlink(conf);
	rmdir(dir);
}

static void look_at(struct setup_match *m, const struct setup_table *t, const struct setup_conf *conf,
		    const char *module)
{
	for (size_t i = 0; i < m->ncand; i++) {
		struct setup_cand *c = &m->cand[i];
		const char *in;

		find_library(c, t);
		if (c->lib[0] == '\0') {
			c->state = SETUP_ABSENT;
			continue;
		}
		if ((in = configured_in(c, conf)) != NULL) {
			c->state = SETUP_CONFIGURED;
			snprintf(c->section, sizeof(c->section), "%s", in);
			continue;
		}
		if (!setup_conf_value_ok("library", c->lib)) {
			c->state = SETUP_UNUSABLE;
			snprintf(c->reason, sizeof(c->reason), "%s",
				 _("its path cannot be written in the configuration (longer than a line of it, or with "
				   "a ' ;' or ' #' that would start a comment): link it from a plainer path"));
			continue;
		}
		/* Two entries may name one file (a link): probe it once. */
		for (size_t j = 0; j < i; j++)
			if (m->cand[j].lib[0] && m->cand[j].dev == c->dev && m->cand[j].ino == c->ino &&
			    m->cand[j].state != SETUP_CONFIGURED) {
				c->state = m->cand[j].state;
				c->devices = m->cand[j].devices;
				snprintf(c->reason, sizeof(c->reason), "%s", m->cand[j].reason);
				goto next;
			}
		probe(c, module);
next:;
	}
}

/* Per device: served by an existing section, else by the first candidate
 * that works (already chosen for another device, or chosen now). */
static void choose(struct setup_match *m)
{
	for (size_t d = 0; d < m->ndev; d++) {
		struct setup_devmatch *dm = &m->dev[d];

		for (size_t k = 0; k < dm->ncand && dm->served_by == NULL; k++) {
			struct setup_cand *c = &m->cand[dm->cand[k]];
			if (c->state == SETUP_CONFIGURED || (c->state == SETUP_WORKS && c->chosen))
				dm->served_by = c->section;
		}
		for (size_t k = 0; k < dm->ncand && dm->served_by == NULL; k++) {
			struct setup_cand *c = &m->cand[dm->cand[k]];
			if (c->state == SETUP_WORKS) {
				c->chosen = 1;
				dm->served_by = c->section; /* named by plan() */
			}
		}
	}
	/* A library that works but serves no device this run chose for. */
	for (size_t i = 0; i < m->ncand; i++)
		if (m->cand[i].state == SETUP_WORKS && !m->cand[i].chosen)
			m->cand[i].state = SETUP_SPARE;
}

int setup_match_run(const struct setup_table *t, const struct setup_usb_dev *u, size_t nu,
		    const struct setup_conf *c, const char *module, struct setup_match *m, struct ukey_err *e)
{
	memset(m, 0, sizeof(*m));
	m->dev = calloc(nu ? nu : 1, sizeof(*m->dev));
	m->cand = calloc(SETUP_MAX_ENTRIES, sizeof(*m->cand));
	if (m->dev == NULL || m->cand == NULL)
		return ukey_err_set(e, UKEY_E_ERROR, _("out of memory"));
	for (size_t i = 0; i < nu; i++) {
		struct setup_devmatch *dm = &m->dev[m->ndev++];

		dm->u = &u[i];
		dm->verified = 1;
		for (int product = 1; product >= 0 && dm->ncand == 0; product--)
			for (size_t k = 0; k < t->n; k++)
				if (matches(&t->e[k], &u[i], product)) {
					dm->kind = product ? 2 : 1;
					dm->cand[dm->ncand++] = cand_for(m, &t->e[k]);
					dm->verified &= t->e[k].usb_src.verified;
				}
	}
	look_at(m, t, c, module);
	choose(m);
	return UKEY_E_OK;
}

void setup_match_free(struct setup_match *m)
{
	free(m->dev);
	free(m->cand);
	memset(m, 0, sizeof(*m));
}
