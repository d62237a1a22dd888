/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* Every SKF function the emulator exports goes through its cost model: the
 * library's SKF_* symbols are emu-cost.c's metering wrappers, each calling
 * the implementation that emu-rename.h renames emu_SKF_*. A function added
 * to an emulator file without its line in emu-rename.h and its wrapper in
 * emu-cost.c would be exported unmetered, and test-skf-cost and
 * bench/bench-cost.sh would silently count too little. This reads the
 * built library's symbol tables (<elf.h>: the exported .dynsym, the local
 * .symtab) and checks the pairing. Prints TAP. */
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 256

struct names {
	char *v[MAX_NAMES];
	int n;
};

static bool has(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return true;
	return false;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size)) && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = buf ? (size_t)size : 0;
	return buf;
}

/* Defined functions of one symbol table: exported SKF_* (global, in
 * .dynsym), the emu_SKF_* implementations (.symtab), and any emu_* that is
 * exported. Returns false when the file is no ELF of this word size. */
static bool collect(const unsigned char *img, size_t len, struct names *exported, struct names *impl,
		    struct names *leaked, bool *have_symtab)
{
	const ElfW(Ehdr) *eh = (const void *)img;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > len)
		return false;
	const ElfW(Shdr) *sh = (const void *)(img + eh->e_shoff);
	*have_symtab = false;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM && sh[i].sh_type != SHT_SYMTAB)
			continue;
		if (sh[i].sh_link >= eh->e_shnum || sh[i].sh_offset + sh[i].sh_size > len ||
		    sh[sh[i].sh_link].sh_offset + sh[sh[i].sh_link].sh_size > len)
			return false;
		bool dyn = sh[i].sh_type == SHT_DYNSYM;
		*have_symtab |= !dyn;
		const ElfW(Sym) *sym = (const void *)(img + sh[i].sh_offset);
		const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;
		size_t strsz = sh[sh[i].sh_link].sh_size;
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
			if (sym[k].st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC ||
			    sym[k].st_name >= strsz)
				continue;
			const char *name = str + sym[k].st_name;
			struct names *to = NULL;
			if (dyn && strncmp(name, "SKF_", 4) == 0)
				to = exported;
			else if (dyn && strncmp(name, "emu_", 4) == 0)
				to = leaked;
			else if (!dyn && strncmp(name, "emu_SKF_", 8) == 0)
				to = impl, name += 4;
			if (to && to->n < MAX_NAMES && !has(to, name))
				to->v[to->n++] = (char *)name;
		}
	}
	return true;
}

int main(void)
{
	const char *bld = getenv("UKEY_TOP_BUILDDIR");
	char path[1024];
	size_t len;
	struct names exported = { 0 }, impl = { 0 }, leaked = { 0 };
	bool have_symtab;
	int failed = 0;

	snprintf(path, sizeof(path), "%s/emulator/.libs/libukey-skf-emu.so", bld ? bld : ".");
	unsigned char *img = slurp(path, &len);
	if (!img) {
		printf("Bail out! emulator not built: %s\n", path);
		return 1;
	}
	if (!collect(img, len, &exported, &impl, &leaked, &have_symtab)) {
		printf("Bail out! %s: not an ELF file of this machine's word size\n", path);
		free(img);
		return 1;
	}
	if (!have_symtab) {
		printf("1..0 # SKIP %s is stripped: no local symbols to compare\n", path);
		free(img);
		return 0;
	}
	printf("1..3\n");
	if (exported.n > 30) {
		printf("ok 1 - the emulator exports %d SKF functions\n", exported.n);
	} else {
		printf("not ok 1 - the emulator exports %d SKF functions (more than 30 expected)\n", exported.n);
		failed++;
	}
	int unmetered = 0;
	for (int i = 0; i < exported.n; i++)
		if (!has(&impl, exported.v[i])) {
			printf("# %s is exported without an emu_%s behind it: unmetered\n", exported.v[i],
			       exported.v[i]);
			unmetered++;
		}
	printf("%s 2 - every exported SKF_* is a metering wrapper of an emu_SKF_* (%d unmetered)\n",
	       unmetered ? "not ok" : "ok", unmetered);
	for (int i = 0; i < leaked.n; i++)
		printf("# %s is exported\n", leaked.v[i]);
	printf("%s 3 - no emu_* implementation is exported under its own name\n", leaked.n ? "not ok" : "ok");
	failed += unmetered > 0;
	failed += leaked.n > 0;
	free(img);
	return failed ? 1 : 0;
}
