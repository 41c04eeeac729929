/* process_frame [0x30, 0x31]: inputs (message, now, space): queue it for the application. */
#include "datagram.h"

protoop_arg_t process_datagram(picoquic_cnx_t *cnx)
{
    message_t *m = (message_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    datagram_state_t *st = datagram_state(cnx);
    if (st == NULL || m == NULL)
        return 0;
    if (st->count == RING) {
        /* Full: drop the oldest, as an unreliable queue may. */
        my_free(cnx, st->ring[st->head]);
        st->head = (st->head + 1) % RING;
        st->count--;
        st->dropped++;
    }
    st->ring[(st->head + st->count) % RING] = m;
    st->count++;
    st->received++;
    return 0;
}
