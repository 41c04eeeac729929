/*
 * infinite: a loop that does not end in practice, for fuel tests. The counter is a volatile
 * stack variable, so every iteration really loads, increments and stores it. The loop leaves
 * only when the u64 counter wraps around to 0 (after 2^64 iterations): that keeps an `exit`
 * in the program, so it passes load-time checks that want every program to be able to return.
 *
 * Input: none (`uint64_t infinite(void)`).
 * Expected: does not return; with fuel = 10000 the VM throws ExecError FUEL_EXHAUSTED.
 */
#include <pquic.h>

uint64_t infinite(void)
{
    volatile uint64_t n = 0;
    for (;;) {
        n = n + 1;
        if (n == 0)
            break;
    }
    return 0xDEAD;
}
