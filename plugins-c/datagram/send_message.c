/*
 * send_message (extern): inputs (data, length) from the application. Returns 0 when queued,
 * 1 when too large for the peer, 2 when the peer does not accept DATAGRAM frames, 3 when out
 * of memory.
 */
#include "datagram.h"

protoop_arg_t send_message(picoquic_cnx_t *cnx)
{
    const uint8_t *data = (const uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t len = get_cnx(cnx, AK_CNX_INPUT, 1);
    datagram_state_t *st = datagram_state(cnx);
    if (st == NULL)
        return 3;
    if (st->peer_max == 0)
        return 2;
    uint64_t frame = 1 + varint_length(len) + len;
    if (frame > st->peer_max)
        return 1;
    message_t *m = (message_t *)my_malloc(cnx, sizeof(message_t) + len);
    if (m == NULL)
        return 3;
    m->len = len;
    my_memcpy(m->data, data, len);
    reserve_frame_slot_t slot = { FT_DATAGRAM_LEN, frame, 1, (uint64_t)m };
    if (reserve_frames(cnx, 1, &slot) == 0) {
        my_free(cnx, m);
        return 3;
    }
    st->sent++;
    return 0;
}
