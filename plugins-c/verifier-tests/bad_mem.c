/*
 * Verifier corpus: memory bugs the static verifier must reject, one function each (verified
 * with --entry NAME). Functions taking (mem, len) use uBPF's convention (--ctx mem); those
 * taking cnx are pluglets. test/vm/verifier/corpus.test.ts names the reason each one gets.
 */
#include <pquic.h>

static uint64_t counters[4];
static const char greeting[] = "hello";

/* A stack array indexed by an unchecked byte of input: may leave the frame. */
uint64_t stack_var_oob(uint8_t *mem, uint64_t len)
{
    volatile uint8_t buf[16];
    if (len < 1)
        return 0;
    buf[mem[0]] = 1;
    return buf[0];
}

/* The allocation may fail: the store needs a NULL check first. */
protoop_arg_t heap_no_null_check(picoquic_cnx_t *cnx)
{
    uint64_t *p = my_malloc(cnx, 16);
    p[0] = 42;
    my_free(cnx, p);
    return 0;
}

/* A 16-byte block indexed by a value of up to 31 words. */
protoop_arg_t heap_var_oob(picoquic_cnx_t *cnx)
{
    uint64_t *p = my_malloc(cnx, 16);
    if (!p)
        return 0;
    uint64_t i = get_cnx(cnx, AK_CNX_INPUT, 0) & 31;
    p[i] = 1;
    my_free(cnx, p);
    return 0;
}

/* Writes into .rodata through a cast. */
uint64_t rodata_write(uint8_t *mem, uint64_t len)
{
    char *volatile p = (char *)greeting;
    p[len & 3] = 'J';
    return 0;
}

/* A global array indexed by an unchecked input. */
protoop_arg_t data_var_oob(picoquic_cnx_t *cnx)
{
    uint64_t i = get_cnx(cnx, AK_CNX_INPUT, 0);
    counters[i] += 1;
    return 0;
}

/* The connection handle is opaque: dereferencing it reads nothing of the host. */
protoop_arg_t handle_deref(picoquic_cnx_t *cnx)
{
    return *(volatile uint64_t *)cnx;
}

/* Reads the input buffer past any length it checked. */
uint64_t ctx_unchecked(uint8_t *mem, uint64_t len)
{
    if (len < 4)
        return 0;
    return *(uint64_t *)(mem + 8);
}

/* Compares stack bytes it never wrote. */
uint64_t uninit_stack(uint8_t *mem, uint64_t len)
{
    uint8_t a[16];
    uint8_t b[16];
    my_memset(a, 0, sizeof a);
    return memcmp(a, b, sizeof a);
}

/* Fills 3 of the 4 words of a stack array, then reads any of them. */
uint64_t stack_table_short(uint8_t *mem, uint64_t len)
{
    uint64_t w[4];
    for (int k = 0; k < 3; k++)
        w[k] = len >> k;
    return w[len % 4];
}

/* Writes byte pos + 8 while only pos + 8 <= len was checked. */
uint64_t write_records_past(uint8_t *mem, uint64_t len)
{
    uint64_t n = 0;
    for (uint64_t pos = 0; pos + 8 <= len; pos += 3)
        mem[pos + 8] = (uint8_t)n++;
    return n;
}
