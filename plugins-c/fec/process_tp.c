/*
 * process_transport_parameter [0x3f5e]: inputs (bytes, length). The peer speaks an FEC scheme;
 * source symbols and repairs are sent only when it is ours.
 */
#include "fec.h"

protoop_arg_t process_tp(picoquic_cnx_t *cnx)
{
    const uint8_t *bytes = (const uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t len = get_cnx(cnx, AK_CNX_INPUT, 1);
    fec_t *f = fec_state(cnx);
    uint64_t scheme = 0;
    if (f == NULL || picoquic_varint_decode(bytes, len, &scheme) == 0)
        return 0;
    f->peer_scheme = scheme;
    return scheme == FEC_SCHEME;
}
