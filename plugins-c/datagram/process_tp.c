/* process_transport_parameter [0x20]: inputs (bytes, length): the peer accepts DATAGRAM frames. */
#include "datagram.h"

protoop_arg_t process_tp(picoquic_cnx_t *cnx)
{
    const uint8_t *bytes = (const uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t len = get_cnx(cnx, AK_CNX_INPUT, 1);
    datagram_state_t *st = datagram_state(cnx);
    uint64_t value = 0;
    if (st == NULL || picoquic_varint_decode(bytes, len, &value) == 0)
        return 0;
    st->peer_max = value;
    return 1;
}
