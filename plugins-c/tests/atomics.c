/*
 * atomics: the BPF atomic instructions (-mcpu=v3) on a .data global and on mem, in 64-bit and
 * 32-bit widths: add (with and without fetch), or / and / xor (with and without fetch), xchg
 * (__sync_lock_test_and_set) and cmpxchg (__sync_val_compare_and_swap, both a matching and a
 * failing compare).
 *
 * Input: mem of at least 48 bytes, holding u64 m[0..4) at offsets 0..32 and u32 w[0..4) at
 * offsets 32..48 (little-endian). Globals start at g64 = 10, g32 = 0xF0.
 * The program applies, in order (old = the value returned by the fetching form):
 *   o1 = fetch_add(g64, 5)             g64 = 15
 *        add(g64, 1)                   g64 = 16
 *   o2 = fetch_or(g32, 0x0F)           g32 = 0xFF
 *        and(g32, 0x3C)                g32 = 0x3C
 *   o3 = fetch_and(m[0], 0x00FF00FF00FF00FF)
 *   o4 = fetch_xor(m[1], 0xFFFFFFFF00000000)
 *        or(m[2], 0x8000000000000001)
 *        xor(w[0], 0x55555555)
 *   o5 = fetch_add(w[1], 0xFFFFFFFF)   32-bit, wraps
 *   o6 = xchg(w[2], 77)
 *   o7 = xchg(g64, 1000)               g64 = 1000
 *   o8 = cmpxchg(m[3], m[3] as read before, 0x1234)   succeeds: m[3] = 0x1234
 *   o9 = cmpxchg(g64, 999, 1)          fails: g64 stays 1000
 *   o10 = cmpxchg(w[3], 0, 7)          succeeds only if w[3] was 0
 * and writes g64 at mem offset 48 and g32 at offset 56 if len >= 64.
 * Returns o1 + o2 + o3 + o4 + o5 + o6 + o7 + o8 + o9 + o10 (mod 2^64), or 0xBAD if len < 48.
 *
 * Expected, with m = 0x1111111111111111, 0x2222222222222222, 2, 0x4444444444444444 and
 * w = 0x01010101, 5, 6, 0 (len 64): return 10 + 0xF0 + 0x1111111111111111 + 0x2222222222222222
 * + 5 + 6 + 16 + 0x4444444444444444 + 1000 + 0 = 0x7777777777777c74; mem afterwards:
 * m = 0x0011001100110011, 0xdddddddd22222222, 0x8000000000000003, 0x1234,
 * w = 0x54545454, 4, 77, 7, then g64 = 1000 and g32 = 0x3C.
 */
#include <pquic.h>

uint64_t g64 = 10;
uint32_t g32 = 0xF0;

uint64_t atomics(uint8_t *mem, uint64_t len)
{
    if (len < 48)
        return 0xBAD;
    uint64_t *m = (uint64_t *)mem;
    uint32_t *w = (uint32_t *)(mem + 32);
    uint64_t sum = 0;

    sum += __sync_fetch_and_add(&g64, 5);
    __sync_fetch_and_add(&g64, 1);
    sum += __sync_fetch_and_or(&g32, 0x0F);
    __sync_fetch_and_and(&g32, 0x3C);
    sum += __sync_fetch_and_and(&m[0], 0x00FF00FF00FF00FFULL);
    sum += __sync_fetch_and_xor(&m[1], 0xFFFFFFFF00000000ULL);
    __sync_fetch_and_or(&m[2], 0x8000000000000001ULL);
    __sync_fetch_and_xor(&w[0], 0x55555555U);
    sum += __sync_fetch_and_add(&w[1], 0xFFFFFFFFU);
    sum += __sync_lock_test_and_set(&w[2], 77U);
    sum += __sync_lock_test_and_set(&g64, 1000);
    sum += __sync_val_compare_and_swap(&m[3], m[3], 0x1234);
    sum += __sync_val_compare_and_swap(&g64, 999, 1);
    sum += __sync_val_compare_and_swap(&w[3], 0U, 7U);

    if (len >= 64) {
        m[6] = g64;
        m[7] = g32;
    }
    return sum;
}
