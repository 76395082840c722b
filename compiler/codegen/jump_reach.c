#include "codegen/jump_reach.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BPF_INSN_SIZE	8
#define BPF_CLASS(code) ((code)&0x07)
#define BPF_OP(code)	((code)&0xf0)
#define BPF_CLASS_JMP	0x05
#define BPF_CLASS_JMP32 0x06
#define BPF_OP_CALL	0x80
#define BPF_OP_EXIT	0x90

__attribute__((format(printf, 4, 5))) static int fail(int ret, char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* The jumps of one program: each must land on a slot of the program. */
static int check_jumps(const uint8_t *insns, size_t slots, const char *name, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i < slots; i++) {
		const uint8_t *insn = insns + i * BPF_INSN_SIZE;
		uint8_t code = insn[0];
		int16_t off;

		if (BPF_CLASS(code) != BPF_CLASS_JMP && BPF_CLASS(code) != BPF_CLASS_JMP32)
			continue;
		if (BPF_OP(code) == BPF_OP_CALL || BPF_OP(code) == BPF_OP_EXIT)
			continue;
		memcpy(&off, insn + 2, sizeof(off)); /* BPF objects are host-endian */
		int64_t target = (int64_t)i + 1 + off;
		if (target < 0 || target >= (int64_t)slots)
			return fail(-EINVAL, err, errlen,
				    "section '%s': the jump at instruction %zu lands outside the "
				    "program (at %lld of %zu)",
				    name, i, (long long)target, slots);
	}
	return 0;
}

static int check_sections(Elf *elf, char *err, size_t errlen)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return fail(-EINVAL, err, errlen, "not an ELF object: %s", elf_errmsg(-1));
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return fail(-EINVAL, err, errlen, "unreadable section header: %s",
				    elf_errmsg(-1));
		if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) || !sh.sh_size)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		name = name ? name : "?";
		size_t slots = sh.sh_size / BPF_INSN_SIZE;
		if (slots > JUMP_REACH_MAX_SLOTS)
			return fail(-E2BIG, err, errlen,
				    "section '%s' is %zu instructions long; a BPF jump reaches at "
				    "most %u, so its jumps cannot be trusted",
				    name, slots, JUMP_REACH_MAX_SLOTS - 1);
		data = elf_getdata(scn, NULL);
		if (!data || data->d_size != sh.sh_size)
			return fail(-EINVAL, err, errlen, "section '%s' is unreadable: %s", name,
				    elf_errmsg(-1));
		int ret = check_jumps(data->d_buf, slots, name, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int jump_reach_check(const char *path, char *err, size_t errlen)
{
	int fd, ret;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(-EINVAL, err, errlen, "libelf is unusable: %s", elf_errmsg(-1));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(-errno, err, errlen, "cannot read '%s': %s", path, strerror(errno));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		ret = fail(-EINVAL, err, errlen, "not an ELF object: %s", elf_errmsg(-1));
	else
		ret = check_sections(elf, err, errlen);
	elf_end(elf);
	close(fd);
	return ret;
}
