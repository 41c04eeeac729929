/*
 * get_datagram_stats (extern): input 0 selects a counter: 0 peer max frame size, 1 sent,
 * 2 acked, 3 lost, 4 dropped, 5 received, 6 waiting.
 */
#include "datagram.h"

protoop_arg_t get_stats(picoquic_cnx_t *cnx)
{
    uint64_t i = get_cnx(cnx, AK_CNX_INPUT, 0);
    datagram_state_t *st = datagram_state(cnx);
    if (st == NULL)
        return 0;
    switch (i) {
    case 0: return st->peer_max;
    case 1: return st->sent;
    case 2: return st->acked;
    case 3: return st->lost;
    case 4: return st->dropped;
    case 5: return st->received;
    case 6: return st->count;
    default: return 0;
    }
}
