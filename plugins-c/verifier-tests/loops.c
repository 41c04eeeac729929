/*
 * Verifier corpus: loops whose counter clang keeps in more than one register (a copy stepped and
 * written back, a value parked in a temporary). The first two are bounded and accepted under
 * strict; the last two differ from them by one statement that makes them unbounded.
 */
#include <pquic.h>

/* Marsaglia's xorshift32: record lengths that the verifier cannot predict. */
static __attribute__((always_inline)) uint32_t xorshift32(uint32_t x)
{
    x ^= x << 13;
    x ^= x >> 17;
    return x ^ (x << 5);
}

/* Walks the open streams, at most 500 of them: clang steps i in a copy and tests it on 32 bits. */
protoop_arg_t walk_streams(picoquic_cnx_t *cnx)
{
    picoquic_stream_head *s = (picoquic_stream_head *) get_cnx(cnx, AK_CNX_FIRST_STREAM, 0);
    uint64_t sum = 0;
    for (int i = 0; i < 500 && s != NULL; i++) {
        sum += get_stream_head(s, AK_STREAMHEAD_STREAM_ID);
        s = (picoquic_stream_head *) get_stream_head(s, AK_STREAMHEAD_NEXT_STREAM);
    }
    return sum;
}

/* Fills mem with 1- or 2-byte records while 8 bytes remain; the record length depends on a hash. */
uint64_t fill_records(uint8_t *mem, uint64_t len)
{
    uint32_t x = 2463534242u;
    uint64_t pos = 0, n = 0;
    while (pos + 8 <= len) {
        x = xorshift32(x);
        mem[pos] = (uint8_t) x;
        if (x & 1) {
            mem[pos + 1] = (uint8_t) (x >> 8);
            pos += 2;
        } else {
            pos += 1;
        }
        n++;
    }
    return n;
}

/* Refused: the walk restarts its count at every stream whose id is 0 mod 4, so a long list never ends it. */
protoop_arg_t walk_streams_reset(picoquic_cnx_t *cnx)
{
    picoquic_stream_head *s = (picoquic_stream_head *) get_cnx(cnx, AK_CNX_FIRST_STREAM, 0);
    uint64_t sum = 0;
    for (int i = 0; i < 500 && s != NULL; i++) {
        uint64_t id = get_stream_head(s, AK_STREAMHEAD_STREAM_ID);
        if ((id & 3) == 0)
            i = 0;
        sum += id;
        s = (picoquic_stream_head *) get_stream_head(s, AK_STREAMHEAD_NEXT_STREAM);
    }
    return sum;
}

/* Refused: a record of length 0 leaves pos where it was. */
uint64_t fill_records_stall(uint8_t *mem, uint64_t len)
{
    uint32_t x = 2463534242u;
    uint64_t pos = 0, n = 0;
    while (pos + 8 <= len) {
        x = xorshift32(x);
        mem[pos] = (uint8_t) x;
        pos += x & 1;
        n++;
    }
    return n;
}
