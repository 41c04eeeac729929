/* notify_frame [0x31]: inputs (message, received): counts acknowledged and lost datagrams. */
#include "datagram.h"

protoop_arg_t notify_datagram(picoquic_cnx_t *cnx)
{
    uint64_t received = get_cnx(cnx, AK_CNX_INPUT, 1);
    datagram_state_t *st = datagram_state(cnx);
    if (st == NULL)
        return 0;
    if (received)
        st->acked++;
    else
        st->lost++;
    return 0;
}
