/*
 * xor_blocks: FEC-style parity. mem is split into k = len / 1200 blocks of 1200 bytes (a QUIC
 * packet payload size); blocks 1..k-1 are XORed into block 0, 8 bytes at a time. Returns a
 * checksum of the resulting block 0: c = c * 31 + word over its 150 little-endian u64 words,
 * starting from c = k (mod 2^64). Trailing bytes beyond k * 1200 are ignored; len < 1200 -> 0.
 * Pure .text, no helpers: runnable by any eBPF VM with the uBPF convention.
 *
 * Expected: two blocks, block 0 all 0x00 and block 1 all 0x01 (len 2400) -> block 0 becomes all
 * 0x01, and the checksum, 150 steps of c = c * 31 + 0x0101010101010101 from c = 2, is
 * 0x48e071ffd6c943e2.
 */
#include <pquic.h>

#define BLOCK 1200

uint64_t xor_blocks(uint8_t *mem, uint64_t len)
{
    uint64_t k = len / BLOCK;
    if (k == 0)
        return 0;
    uint64_t *parity = (uint64_t *)mem;
    for (uint64_t b = 1; b < k; b++) {
        uint64_t *src = (uint64_t *)(mem + b * BLOCK);
        for (uint64_t i = 0; i < BLOCK / 8; i++)
            parity[i] ^= src[i];
    }
    uint64_t c = k;
    for (uint64_t i = 0; i < BLOCK / 8; i++)
        c = c * 31 + parity[i];
    return c;
}
