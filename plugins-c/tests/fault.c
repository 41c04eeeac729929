/*
 * fault: a store out of bounds, through a pointer computed from mem + len, as an off-by-N bug
 * in a plugin would produce. The VM must stop the program with ExecError OUT_OF_BOUNDS at the
 * faulting store instead of writing outside the plugin's memory.
 *
 * Input: mem of at least 8 bytes whose first u64 (little-endian) is `gap`. The program first
 * writes 0xEE to mem[len - 1] (in bounds), then writes a u64 at mem + len + gap, i.e. `gap`
 * bytes past the end of mem.
 * Expected: gap = 0x40000000 (1 GiB past the end) -> OUT_OF_BOUNDS. The program returns 1 only if
 * the store succeeds, and 0xBAD if len < 8.
 */
#include <pquic.h>

uint64_t fault(uint8_t *mem, uint64_t len)
{
    if (len < 8)
        return 0xBAD;
    uint64_t gap = *(uint64_t *)mem;
    mem[len - 1] = 0xEE;
    *(uint64_t *)(mem + len + gap) = 0xDEADBEEF;
    return 1;
}
