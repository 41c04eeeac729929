/* write_transport_parameter [0x20]: inputs (bytes, max); writes max_datagram_frame_size. */
#include "datagram.h"

protoop_arg_t write_tp(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    pquic_frame_name(cnx, FT_DATAGRAM, "datagram");
    pquic_frame_name(cnx, FT_DATAGRAM_LEN, "datagram");
    uint64_t max = get_cnx(cnx, AK_CNX_INPUT, 1);
    return picoquic_varint_encode(bytes, max, LOCAL_MAX_FRAME_SIZE);
}
