/* write_transport_parameter [0x3f00]: announces this test plugin (value 1). */
#include <pquic.h>

protoop_arg_t write_tp(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    return picoquic_varint_encode(bytes, get_cnx(cnx, AK_CNX_INPUT, 1), 1);
}
