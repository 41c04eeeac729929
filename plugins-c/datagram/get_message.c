/*
 * get_message (extern): inputs (buffer, capacity) from the application. Moves the oldest
 * received message into the buffer (truncated to the capacity) and returns its length, or
 * 0xffffffffffffffff when none is waiting.
 */
#include "datagram.h"

protoop_arg_t get_message(picoquic_cnx_t *cnx)
{
    uint8_t *buf = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t cap = get_cnx(cnx, AK_CNX_INPUT, 1);
    datagram_state_t *st = datagram_state(cnx);
    if (st == NULL || st->count == 0)
        return (protoop_arg_t)-1;
    message_t *m = st->ring[st->head];
    /* The `count` slots from `head` hold messages (process_datagram fills a slot before counting
     * it), so this never returns; checked because that invariant spans two heap fields, which no
     * verifier follows, and a NULL here would be dereferenced. */
    if (m == NULL)
        return (protoop_arg_t)-1;
    /* The slot no longer owns the message, which is freed below. */
    st->ring[st->head] = NULL;
    st->head = (st->head + 1) % RING;
    st->count--;
    uint64_t len = m->len;
    /* Truncated to the application's buffer. */
    my_memcpy(buf, m->data, len < cap ? len : cap);
    my_free(cnx, m);
    return len;
}
