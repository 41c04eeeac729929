/* write_transport_parameter [0x3f5e]: inputs (bytes, max); announces the XOR scheme. */
#include "fec.h"

protoop_arg_t write_tp(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    pquic_frame_name(cnx, FT_SFPID, "SFPID");
    pquic_frame_name(cnx, FT_REPAIR, "REPAIR");
    pquic_frame_name(cnx, FT_RECOVERED, "RECOVERED");
    uint64_t max = get_cnx(cnx, AK_CNX_INPUT, 1);
    return picoquic_varint_encode(bytes, max, FEC_SCHEME);
}
