/* stream_bytes_max (replace): inputs (space, remaining); keeps room for the SFPID frame. */
#include "fec.h"

protoop_arg_t stream_bytes_max(picoquic_cnx_t *cnx)
{
    uint64_t remaining = get_cnx(cnx, AK_CNX_INPUT, 1);
    fec_t *f = fec_state(cnx);
    if (f == NULL || f->peer_scheme != FEC_SCHEME)
        return remaining;
    return remaining > ROOM ? remaining - ROOM : 0;
}
