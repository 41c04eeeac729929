/*
 * Verifier corpus: safe programs a naive verifier would reject, accepted under strict.
 */
#include <pquic.h>

/* A bound checked against the runtime length: mem[i] only when i < len. */
uint64_t checked_index(uint8_t *mem, uint64_t len)
{
    if (len < 1)
        return 0;
    uint64_t i = mem[0];
    if (i < len)
        return mem[i];
    return 0;
}

/* A loop whose bound is the runtime length clamped to 64. */
uint64_t clamped_loop(uint8_t *mem, uint64_t len)
{
    uint64_t n = len < 64 ? len : 64;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += mem[i];
    return sum;
}

/* An allocation checked for NULL before use. */
protoop_arg_t malloc_checked(picoquic_cnx_t *cnx)
{
    uint64_t *p = my_malloc(cnx, 4 * sizeof(uint64_t));
    if (!p)
        return 0;
    p[0] = get_cnx(cnx, AK_CNX_INPUT, 0);
    p[3] = p[0] * 2;
    uint64_t r = p[3];
    my_free(cnx, p);
    return r;
}

/* Division by a runtime value, which may be 0 (RFC 9669 §4.1: the result is then 0). */
protoop_arg_t divide(picoquic_cnx_t *cnx)
{
    uint64_t a = get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t b = get_cnx(cnx, AK_CNX_INPUT, 1);
    return a / b + a % b;
}

/* A stack buffer filled by a helper, then read back. */
protoop_arg_t varint_roundtrip(picoquic_cnx_t *cnx)
{
    uint8_t buf[8];
    uint64_t v = 0;
    size_t n = picoquic_varint_encode(buf, sizeof buf, get_cnx(cnx, AK_CNX_INPUT, 0));
    if (n == 0)
        return 0;
    picoquic_varint_decode(buf, n, &v);
    return v;
}

/* A table on the stack filled by a loop, then read at a masked index (initialized ranges). */
uint64_t stack_table(uint8_t *mem, uint64_t len)
{
    uint32_t t[16];
    for (uint32_t i = 0; i < 16; i++)
        t[i] = i * 2654435761u;
    return t[len & 15];
}

/* Records written while pos + 8 <= len (a copy of pos plus 8 is compared, not pos). */
uint64_t write_records(uint8_t *mem, uint64_t len)
{
    uint64_t pos = 0;
    while (pos + 8 <= len) {
        mem[pos + 7] = (uint8_t)pos;
        mem[pos] = (uint8_t)len;
        pos += 3;
    }
    return pos;
}
