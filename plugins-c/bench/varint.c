/*
 * varint: QUIC variable-length integers (RFC 9000 §16). Encodes a pseudo-random sequence of
 * values into mem until fewer than 8 bytes remain, then decodes them back and checks them.
 *
 * Values: a xorshift32 generator (x ^= x << 13; x ^= x >> 17; x ^= x << 5) seeded with
 * 0x9E3779B9 draws r; the top two bits of r pick the encoded length 1, 2, 4 or 8 bytes, and the
 * value is r & 0x3F, r & 0x3FFF, r & 0x3FFFFFFF, or ((r & 0x3FFFFFFF) << 32) | r2 for the 8-byte
 * class, where r2 is the next draw. So all four length classes occur, each value in its
 * shortest encoding.
 * Returns the sum of the decoded values + (count << 48) (mod 2^64), where count is the number of
 * values; or 0 if the decoded values differ from the encoded ones (sum or xor mismatch).
 * Pure .text, no helpers: runnable by any eBPF VM with the uBPF convention.
 *
 * Expected: len < 8 -> 0 (nothing encoded: count 0, sum 0); len = 16 -> 2 values, 1561 (2 bytes)
 * and 2318884584994475834 (8 bytes), return 0x2030553e7bb99553.
 */
#include <pquic.h>

uint64_t varint(uint8_t *mem, uint64_t len)
{
    uint32_t x = 0x9E3779B9u;
    uint64_t pos = 0, count = 0, sum_in = 0, xor_in = 0;
    while (pos + 8 <= len) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint32_t cls = x >> 30;
        uint8_t *p = mem + pos;
        uint64_t v;
        if (cls == 0) {
            v = x & 0x3F;
            p[0] = (uint8_t)v;
            pos += 1;
        } else if (cls == 1) {
            v = x & 0x3FFF;
            p[0] = (uint8_t)(0x40 | (v >> 8));
            p[1] = (uint8_t)v;
            pos += 2;
        } else if (cls == 2) {
            v = x & 0x3FFFFFFF;
            p[0] = (uint8_t)(0x80 | (v >> 24));
            p[1] = (uint8_t)(v >> 16);
            p[2] = (uint8_t)(v >> 8);
            p[3] = (uint8_t)v;
            pos += 4;
        } else {
            uint64_t hi = x & 0x3FFFFFFF;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            v = (hi << 32) | x;
            p[0] = (uint8_t)(0xC0 | (v >> 56));
            for (int k = 1; k < 8; k++)
                p[k] = (uint8_t)(v >> (56 - 8 * k));
            pos += 8;
        }
        sum_in += v;
        xor_in ^= v;
        count++;
    }

    uint64_t end = pos, sum_out = 0, xor_out = 0;
    pos = 0;
    for (uint64_t i = 0; i < count && pos < end; i++) {
        uint8_t first = mem[pos];
        uint64_t n = (uint64_t)1 << (first >> 6);
        uint64_t v = first & 0x3F;
        for (uint64_t k = 1; k < n; k++)
            v = (v << 8) | mem[pos + k];
        pos += n;
        sum_out += v;
        xor_out ^= v;
    }
    if (sum_out != sum_in || xor_out != xor_in)
        return 0;
    return sum_out + (count << 48);
}
