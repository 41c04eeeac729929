/*
 * pquic.h: the plugin API of pquic-ts, for pluglets written in C and compiled with
 * `clang -O2 -target bpf -mcpu=v3` (see tools/build-plugins.mjs).
 *
 * BPF programs have no libc, so this header defines the few types it needs from clang's
 * builtin macros instead of including <stdint.h>.
 *
 * Helpers are plain extern functions. A call compiles to a BPF `call` with a relocation against
 * the function's name; the VM binds it by that name at load time (as PQUIC does, see
 * reference/pquic.md §4.1), and refuses to load an object that calls a name it does not provide.
 * Arguments travel in r1-r5, the result comes back in r0, so a helper takes at most 5 arguments.
 *
 * Memory safety: unlike PQUIC, where helpers receive raw host pointers, every pointer given to
 * a helper here is an address in the plugin's own memory (its stack, its data sections, its heap
 * or the `mem` buffer of the run). The VM checks that each range a helper reads or writes lies
 * inside that memory; a bad pointer stops the program with an error instead of touching the host.
 */
#ifndef PQUIC_H
#define PQUIC_H

/* Fixed-width integer types, from clang's predefined macros (no libc headers on BPF). */
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __SIZE_TYPE__ size_t;

#ifndef NULL
#define NULL ((void *)0)
#endif

/* The type of protocol operation arguments and results (PQUIC's `protoop_arg_t`). */
typedef uint64_t protoop_arg_t;

/*
 * Current time in microseconds, as the host's clock sees it (PQUIC's picoquic_current_time).
 * Under a simulated clock this is the simulated time.
 */
uint64_t picoquic_current_time(void);

/*
 * Copies n bytes from src to dst and returns dst. Both ranges must lie inside the plugin's
 * memory; they may overlap (the copy behaves like memmove).
 */
void *my_memcpy(void *dst, const void *src, uint64_t n);

/* Sets n bytes at dst to the low byte of c and returns dst. The range must lie in plugin memory. */
void *my_memset(void *dst, int c, uint64_t n);

/*
 * Length of the NUL-terminated string at s, without the NUL. The whole string including its
 * NUL must lie in plugin memory.
 */
uint64_t strlen(const char *s);

/*
 * Compares n bytes at a and b as unsigned bytes: < 0, 0 or > 0 like libc's memcmp.
 * Both ranges must lie in plugin memory.
 */
int memcmp(const void *a, const void *b, uint64_t n);

/*
 * Formats one log line and hands it to the host's logger; returns the number of characters
 * produced. fmt is a NUL-terminated string in plugin memory; a, b, c, d are the values its
 * conversions consume, in order (at most 4, pass 0 for unused ones).
 *
 * Conversions: %d %i (signed decimal), %u (unsigned decimal), %x (lower-case hexadecimal),
 * %s (the NUL-terminated string in plugin memory at that address), %c (one character) and %%
 * (a percent sign); the host also accepts %X and %p, and a field width such as %08x.
 * Every value is a full 64-bit register: the l and ll length modifiers (%ld %lld %lu %llu %lx
 * %llx) are accepted and change nothing. So pass signed values sign-extended, e.g.
 * (uint64_t)(int64_t)x for an int x: an unsigned int 0xFFFFFFFB prints as 4294967291 with %d.
 */
int pquic_log(const char *fmt, uint64_t a, uint64_t b, uint64_t c, uint64_t d);

#endif /* PQUIC_H */
