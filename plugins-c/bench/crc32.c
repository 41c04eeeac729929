/*
 * crc32: CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and final XOR
 * 0xFFFFFFFF: the zlib/PNG/Ethernet CRC) over all of mem.
 *
 * Table-driven four bits at a time: the 16-entry table is computed on the stack at every run
 * (a 256-entry table would not fit in the 512-byte BPF stack, and a .rodata table would tie the
 * object to loaders with data-section support). So the object is pure .text: no helpers, no
 * data sections, no relocations, runnable by any eBPF VM with the uBPF convention
 * `uint64_t f(uint8_t *mem, uint64_t len)`.
 *
 * Expected: mem = "123456789" -> 0xCBF43926 (the standard check value); empty mem -> 0.
 */
#include <pquic.h>

uint64_t crc32(uint8_t *mem, uint64_t len)
{
    uint32_t table[16];
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t c = i;
        for (int k = 0; k < 4; k++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (uint64_t i = 0; i < len; i++) {
        crc ^= mem[i];
        crc = (crc >> 4) ^ table[crc & 15];
        crc = (crc >> 4) ^ table[crc & 15];
    }
    return crc ^ 0xFFFFFFFFu;
}
