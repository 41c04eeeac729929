/*
 * fnv1a: the 64-bit FNV-1a hash of all of mem (offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3). Pure .text, no helpers: runnable by any eBPF VM with the uBPF convention.
 *
 * Expected: empty mem -> 0xcbf29ce484222325; mem = "a" -> 0xaf63dc4c8601ec8c;
 * mem = "foobar" -> 0x85944171f73967e8.
 */
#include <pquic.h>

uint64_t fnv1a(uint8_t *mem, uint64_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint64_t i = 0; i < len; i++) {
        h ^= mem[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
