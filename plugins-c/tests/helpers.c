/*
 * helpers: calls to the host helpers my_memset, my_memcpy and picoquic_current_time, with
 * pointers into the program's stack and into mem, and use of their return values.
 *
 * Input: mem of at least 64 bytes. Steps:
 *   1. buf (48 bytes on the stack) = 0xAB repeated (my_memset);
 *   2. buf[8..24) = mem[0..16) (my_memcpy, mem -> stack);
 *   3. mem[32..48) = 0x5A repeated (my_memset into mem);
 *   4. mem[16..32) = buf[0..16) (my_memcpy, stack -> mem), i.e. 8 bytes 0xAB then mem[0..8);
 *   5. mem[48..56) = picoquic_current_time() as a little-endian u64;
 *   6. mem[56..64) = sum over i < 48 of buf[i] * (i + 1), as a little-endian u64.
 * Each of the 4 copy/set helpers must return its dst argument; the result counts those that do.
 * Returns that count (4) * 2^32 + the sum of step 6, or 0xBAD if len < 64.
 *
 * Expected: mem[0..16) = 0, 1, ..., 15 (rest zero) -> sum = 0xAB * (1+..+8 + 25+..+48)
 * + sum over j < 16 of j * (j + 9) = 171 * 912 + 2320 = 158272; return 4 * 2^32 + 158272
 * = 17180027456.
 */
#include <pquic.h>

uint64_t helpers(uint8_t *mem, uint64_t len)
{
    uint8_t buf[48];
    uint64_t ok = 0;
    if (len < 64)
        return 0xBAD;

    ok += my_memset(buf, 0xAB, sizeof buf) == buf;
    ok += my_memcpy(buf + 8, mem, 16) == buf + 8;
    ok += my_memset(mem + 32, 0x5A, 16) == mem + 32;
    ok += my_memcpy(mem + 16, buf, 16) == mem + 16;
    *(uint64_t *)(mem + 48) = picoquic_current_time();

    uint64_t sum = 0;
    for (int i = 0; i < 48; i++)
        sum += (uint64_t)buf[i] * (i + 1);
    *(uint64_t *)(mem + 56) = sum;
    return (ok << 32) + sum;
}
