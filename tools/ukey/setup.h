/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey setup: finds which vendor library an inserted U-KEY needs and
 * writes the module's [backend] sections for it. Its parts, one job each:
 *
 *   setup-table.c   the table of known tokens (vendors.conf), checked
 *   setup-usb.c     the USB devices present, from sysfs
 *   setup-probe.c   what the module makes of a configuration (a child
 *                   process loads it: a vendor library that crashes or
 *                   hangs takes only the child down)
 *   setup-match.c   devices matched to entries, libraries found and probed,
 *                   one chosen per device
 *   setup-conf.c    the module's configuration file: read, sections
 *                   appended, the diff, backup and atomic replace
 *   cmd-setup.c     the command: matching, choosing, reporting */
#ifndef UKEY_TOOL_SETUP_H
#define UKEY_TOOL_SETUP_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "ukey-renew.h"

/* --- The table (setup-table.c) -------------------------------------------- */

#define SETUP_MAX_ENTRIES 64
#define SETUP_MAX_USB 16
#define SETUP_MAX_LIBS 8
#define SETUP_MAX_PATHS 24
#define SETUP_PID_ANY (-1)

struct setup_usb_id {
	unsigned vid;
	int pid; /* SETUP_PID_ANY: every product of the vendor */
};

/* One fact's origin: where it was read, or "unverified: ..." with why it
 * is believed (the entry is then marked so in every output). */
struct setup_fact {
	char source[640];
	int verified;
};

struct setup_entry {
	char id[48];    /* [token ID]: also the name of the [backend] it becomes */
	char name[160]; /* vendor and product, for people */
	char driver[8]; /* "skf" or "p11" */
	struct setup_usb_id usb[SETUP_MAX_USB];
	size_t nusb;
	char libs[SETUP_MAX_LIBS][96]; /* file names, in the order tried */
	size_t nlibs;
	char paths[SETUP_MAX_PATHS][160]; /* directories (the defaults follow) */
	size_t npaths;
	char quirks[160]; /* the `quirks =` line to write, "" for none */
	struct setup_fact usb_src, lib_src, paths_src, quirks_src;
};

struct setup_table {
	char file[PATH_MAX];
	struct setup_entry *e; /* malloc'd */
	size_t n;
	char defaults[SETUP_MAX_PATHS][160]; /* [defaults] paths: searched for every entry */
	size_t ndefaults;
};

/* $UKEY_VENDOR_TABLE, else the installed vendors.conf. Every entry is
 * checked: a bad one fails the whole table with a message naming the file,
 * the entry and the key (a table that is half read would choose wrongly). */
int setup_table_load(struct setup_table *t, struct ukey_err *e);
void setup_table_free(struct setup_table *t);

/* --- USB devices (setup-usb.c) -------------------------------------------- */

struct setup_usb_dev {
	char sysname[64]; /* "1-2.3" */
	unsigned vid, pid;
	char manufacturer[128], product[128]; /* as the device says: outside text */
	int smartcard; /* the device or one of its interfaces is of class 0x0b (CCID) */
};

/* Devices under $UKEY_SYSFS_ROOT/bus/usb/devices (default root /sys), by
 * sysfs name. A missing directory is no device, with a note in *why. */
int setup_usb_scan(struct setup_usb_dev **out, size_t *n, char *why, size_t whylen, struct ukey_err *e);

/* --- Probing through the module (setup-probe.c) ---------------------------- */

#define SETUP_PROBE_MAX 16

struct setup_probe_backend {
	char name[64], driver[16], library[256];
	unsigned long rv; /* CK_RV of the load, 0 = loaded */
	char reason[256];
	unsigned long devices;
};

struct setup_probe {
	char error[1024]; /* "" when the module answered; else why not */
	char config_path[256], config_error[512];
	unsigned long nbackends, loaded;
	struct setup_probe_backend b[SETUP_PROBE_MAX];
};

/* Loads the module at module in a child process with UKEY_PKCS11_CONF =
 * conf (NULL: as the environment has it) and reports what it made of the
 * configuration and of each backend (the vendor interface). 0, or -1 with
 * p->error set (the module does not load, is not ukey-pkcs11, the child
 * died or did not answer in time). */
int setup_probe_run(const char *module, const char *conf, struct setup_probe *p);

/* --- The module's configuration file (setup-conf.c) ------------------------ */

struct setup_section {
	char name[64], driver[16], library[PATH_MAX], quirks[160];
	char comment[200]; /* "# ..." line written above it, "" for none */
};

struct setup_conf {
	char path[PATH_MAX]; /* as given */
	char real[PATH_MAX]; /* what is replaced (a symlink's target) */
	int exists;
	char *text; /* the current content ("" when absent), malloc'd */
	size_t nsections;
	struct setup_section existing[SETUP_PROBE_MAX]; /* its [backend] sections */
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* The file as it is: absent is fine (it will be created); a directory, a
 * device, a file too large, NUL bytes or a syntax error are errors naming
 * the file and the problem (and the line). */
int setup_conf_read(const char *path, struct setup_conf *c, struct ukey_err *e);
void setup_conf_free(struct setup_conf *c);
/* Whether value can be written as a configuration value and read back the
 * same by the module (libinih's 200-character lines, its ';' and the
 * module's '#' comments, no line breaks). */
int setup_conf_value_ok(const char *key, const char *value);
/* The new text: the current one with secs appended (malloc'd). */
char *setup_conf_append(const struct setup_conf *c, const struct setup_section *secs, size_t n);
/* A unified diff of the current text to text (malloc'd). */
char *setup_conf_diff(const struct setup_conf *c, const char *text);
/* Writes text next to the file (same directory, owner and mode), into
 * *tmp_out (the caller checks it, then calls setup_conf_commit or
 * unlinks it). */
int setup_conf_stage(const struct setup_conf *c, const char *text, char *tmp_out, size_t len, struct ukey_err *e);
/* The current file to <file>.bak (when there is one), then tmp renamed
 * over it: a reader sees the old file or the new one, never a mixture. */
int setup_conf_commit(const struct setup_conf *c, const char *tmp, char *backup, size_t len, struct ukey_err *e);

/* --- Matching devices to libraries (setup-match.c) ------------------------ */

enum setup_state {
	SETUP_ABSENT,     /* no file of that name in the entry's directories */
	SETUP_CONFIGURED, /* the file is an existing [backend]'s library */
	SETUP_WORKS,      /* loads and sees at least one device */
	SETUP_NO_DEVICE,  /* loads, sees no device */
	SETUP_FAILS,      /* does not load (the module's reason) */
	SETUP_UNUSABLE,   /* its path cannot be written as a configuration value */
	SETUP_SPARE,      /* works, but the device is served by another library */
};

/* One table entry that a device present matches, and its library. */
struct setup_cand {
	const struct setup_entry *en;
	char lib[PATH_MAX]; /* the file found, "" when absent */
	dev_t dev;
	ino_t ino;
	enum setup_state state;
	char reason[1024];
	unsigned long devices;
	char section[64]; /* the [backend] that serves it (existing or written) */
	int chosen;       /* written by this run */
};

/* A device present and what the table says of it. */
struct setup_devmatch {
	const struct setup_usb_dev *u;
	int kind; /* 0: not in the table, 1: its vendor only, 2: its product */
	int verified; /* the matching entries' usb facts are all verified */
	size_t cand[SETUP_MAX_ENTRIES]; /* indexes into the candidates, table order */
	size_t ncand;
	const char *served_by; /* the serving candidate's section, NULL when none */
};

struct setup_match {
	struct setup_devmatch *dev; /* one per USB device */
	size_t ndev;
	struct setup_cand *cand; /* one per matching entry */
	size_t ncand;
};

/* Matches devices to entries, finds each entry's library (under
 * $UKEY_VENDOR_ROOT when set), probes each one present through the module
 * and chooses, per device, the first that works. */
int setup_match_run(const struct setup_table *t, const struct setup_usb_dev *u, size_t nu,
		    const struct setup_conf *c, const char *module, struct setup_match *m, struct ukey_err *e);
void setup_match_free(struct setup_match *m);

/* --- The command (cmd-setup.c; setup-report.c its output) ----------------- */

struct setup_run {
	int json, dry_run;
	const char *config_arg, *module_arg;
	struct ukey_conf uconf;
	const char *module;
	char module_reads[256]; /* the file the module reads by default */
	char module_error[512]; /* what the module said of that file, "" when it read it */
	int is_default;         /* the file changed is that one */
	struct setup_table table;
	struct setup_usb_dev *usb;
	size_t nusb;
	char usb_note[PATH_MAX + 64];
	struct setup_conf conf;
	struct setup_match m;
	struct setup_section add[SETUP_MAX_ENTRIES];
	size_t nadd;
	char *text, *diff;
	char backup[PATH_MAX + 8];
	int changed;
	json_object *problems;
	struct ukey_err err;
};

/* The exit status of a run that got to the end: 4 when no known U-KEY is
 * plugged in, 1 when one has no working library (each said why), else 0. */
int setup_outcome(struct setup_run *r);
/* Prints what was found and changed (or the error rc), text or JSON. */
void setup_report(struct setup_run *r, int rc);

#endif
