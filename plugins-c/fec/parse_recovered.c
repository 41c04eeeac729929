/* parse_frame [RECOVERED]: output 0 the symbol id the peer rebuilt. */
#include "fec.h"

protoop_arg_t parse_recovered(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint8_t *end = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 1);
    uint64_t id = 0;
    size_t n = picoquic_varint_decode(bytes, end - bytes, &id);
    if (n == 0)
        return 0;
    set_cnx(cnx, AK_CNX_OUTPUT, 0, id);
    set_cnx(cnx, AK_CNX_OUTPUT, 1, 1);
    set_cnx(cnx, AK_CNX_OUTPUT, 2, 0);
    return (protoop_arg_t)(bytes + n);
}
