/*
 * globals: writable global variables in .data (initialised) and .bss (zeroed), reached through
 * lddw relocations, read and written from the entry function and from a local function.
 *
 * Input: any mem. `calls` (.data, starts at 7) is incremented once per run. For each byte b of
 * mem: hist[b & 15] is incremented (hist: u32[16] in .bss), seen[b] is set to 1 (seen: u8[256]
 * in .bss) and `bytes_seen` (.data, starts at 1000) is incremented. Then mem[i] receives the low
 * byte of hist[i] for i < min(16, len).
 * Returns calls * 10^9 + bytes_seen * 10^4 + (number of distinct bytes) * 100 + the index of
 * the largest hist entry (the lowest index wins a tie).
 *
 * Expected, first run after load: mem = the 10 bytes 00 01 02 03 13 23 33 0f 1f 05
 * -> calls = 8, bytes_seen = 1010, 10 distinct bytes, hist = [1,1,1,4,0,1,0,...,0,2]
 * (index 15 = 2), largest at 3: return 8010101003, and
 * mem = 01 01 01 04 00 01 00 00 00 00 (only 10 bytes are written back).
 * With an empty mem: return 8010000000.
 */
#include <pquic.h>

uint64_t calls = 7;
uint64_t bytes_seen = 1000;
uint32_t hist[16];
static uint8_t seen[256];

static __attribute__((noinline)) uint64_t argmax_hist(void);
static __attribute__((noinline)) uint64_t count_seen(void);

uint64_t globals(uint8_t *mem, uint64_t len)
{
    calls++;
    for (uint64_t i = 0; i < len; i++) {
        uint8_t b = mem[i];
        hist[b & 15]++;
        seen[b] = 1;
        bytes_seen++;
    }
    for (uint64_t i = 0; i < 16 && i < len; i++)
        mem[i] = (uint8_t)hist[i];
    return calls * 1000000000 + bytes_seen * 10000 + count_seen() * 100 + argmax_hist();
}

static __attribute__((noinline)) uint64_t argmax_hist(void)
{
    uint64_t best = 0;
    for (uint64_t i = 1; i < 16; i++)
        if (hist[i] > hist[best])
            best = i;
    return best;
}

static __attribute__((noinline)) uint64_t count_seen(void)
{
    uint64_t n = 0;
    for (int i = 0; i < 256; i++)
        n += seen[i];
    return n;
}
