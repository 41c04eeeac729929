/* write_frame [RECOVERED]: inputs (bytes, bytes_max, symbol id). */
#include "fec.h"

protoop_arg_t write_recovered(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint8_t *end = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 1);
    uint64_t id = get_cnx(cnx, AK_CNX_INPUT, 2);
    uint64_t consumed = 0;
    if (end - bytes >= 9) {
        bytes[0] = FT_RECOVERED;
        consumed = 1 + picoquic_varint_encode(bytes + 1, end - bytes - 1, id);
    }
    set_cnx(cnx, AK_CNX_OUTPUT, 0, consumed);
    set_cnx(cnx, AK_CNX_OUTPUT, 1, 1);
    return 0;
}
