/* stream_bytes_max (replace): inputs (space, remaining); keeps room for the SFPID frame. */
#include "fec.h"

protoop_arg_t stream_bytes_max(picoquic_cnx_t *cnx)
{
    uint64_t remaining = get_cnx(cnx, AK_CNX_INPUT, 1);
    return remaining > ROOM ? remaining - ROOM : 0;
}
