/*
 * matmul: C = A * B for n x n matrices of u32 (arithmetic mod 2^32), row-major little-endian,
 * A at mem[0), B right after it, C right after B; n is the largest integer with
 * 3 * n * n * 4 <= len (n = 16 for len 3072, n = 32 for len 12288). Returns a checksum of C:
 * c = c * 31 + C[i][j] (mod 2^32) in row-major order, starting from c = n, as a u64.
 * Pure .text, no helpers: runnable by any eBPF VM with the uBPF convention.
 *
 * Expected: len = 48 (n = 2), A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]] ->
 * C = [[19, 22], [43, 50]], checksum ((((2 * 31 + 19) * 31 + 22) * 31 + 43) * 31 + 50 = 2435596.
 */
#include <pquic.h>

uint64_t matmul(uint8_t *mem, uint64_t len)
{
    uint64_t n = 0;
    while (3 * (n + 1) * (n + 1) * 4 <= len)
        n++;
    uint32_t *a = (uint32_t *)mem;
    uint32_t *b = a + n * n;
    uint32_t *c = b + n * n;
    for (uint64_t i = 0; i < n; i++) {
        for (uint64_t j = 0; j < n; j++) {
            uint32_t s = 0;
            for (uint64_t k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
    }
    uint32_t h = (uint32_t)n;
    for (uint64_t i = 0; i < n * n; i++)
        h = h * 31 + c[i];
    return h;
}
