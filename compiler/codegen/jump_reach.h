/* What clang emitted, checked before it becomes the output: a BPF jump
 * holds a 16-bit signed offset, so it reaches at most 32,767 instructions
 * forward and 32,768 back. clang of the CPU versions untrack targets has no
 * longer jump, and for a target past that reach it writes the offset cut to
 * 16 bits, without an error: the object looks fine until the kernel rejects
 * it ("jump out of range"). Only the emitted object says how long a program
 * really is, so this is where it is checked. */
#ifndef UNTRACK_CODEGEN_JUMP_REACH_H
#define UNTRACK_CODEGEN_JUMP_REACH_H

#include <stddef.h>

/* The most instruction slots a program may have for every jump within it
 * to be representable. */
#define JUMP_REACH_MAX_SLOTS 32768u

/* Check every program section of the BPF object at path. Returns 0 when
 * each one is at most JUMP_REACH_MAX_SLOTS slots long and every jump lands
 * inside its program; -E2BIG when a program is longer (its jumps cannot be
 * trusted); -EINVAL for a jump outside its program or an unreadable
 * object. err says which section and how long it is. */
int jump_reach_check(const char *path, char *err, size_t errlen);

#endif
