/*
 * insertion_sort: sorts the n = len / 4 little-endian u32 values in mem in ascending order
 * (unsigned), in place, by insertion sort (about n^2 / 4 moves on random input). Returns a
 * checksum of the sorted array: c = c * 31 + a[i] over i, starting from c = n (mod 2^64).
 * Pure .text, no helpers: runnable by any eBPF VM with the uBPF convention.
 *
 * Expected: a = 5, 3, 0xFFFFFFFF, 1 (len 16) -> sorted 1, 3, 5, 0xFFFFFFFF; checksum
 * ((((4 * 31 + 1) * 31 + 3) * 31 + 5) * 31 + 0xFFFFFFFF = 4298694208.
 */
#include <pquic.h>

uint64_t insertion_sort(uint8_t *mem, uint64_t len)
{
    uint32_t *a = (uint32_t *)mem;
    uint64_t n = len / 4;
    for (uint64_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        uint64_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
    uint64_t c = n;
    for (uint64_t i = 0; i < n; i++)
        c = c * 31 + a[i];
    return c;
}
