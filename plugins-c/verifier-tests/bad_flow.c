/*
 * Verifier corpus: control flow the verifier must reject under strict (loops it cannot bound,
 * loops nothing leaves, recursion).
 */
#include <pquic.h>

/* Collatz: nobody knows a bound. */
protoop_arg_t collatz(picoquic_cnx_t *cnx)
{
    uint64_t x = get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t steps = 0;
    while (x > 1) {
        x = (x & 1) ? 3 * x + 1 : x / 2;
        steps++;
    }
    return steps;
}

/* Logs forever. */
protoop_arg_t forever(picoquic_cnx_t *cnx)
{
    for (;;)
        pquic_log("tick", 0, 0, 0, 0);
    return 0;
}

/* Naive Fibonacci: recursion (eBPF has 8 call frames, and the verifier wants none of it). */
__attribute__((noinline)) static uint64_t fib(uint64_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

uint64_t recursive(uint8_t *mem, uint64_t len)
{
    return fib(len);
}
