/*
 * write_frame [0x31]: inputs (bytes, bytes_max, message). Writes the frame, output 0 its size,
 * output 1 not retransmittable. The message is freed: DATAGRAM frames are never retransmitted.
 */
#include "datagram.h"

protoop_arg_t write_datagram(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint8_t *end = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 1);
    message_t *m = (message_t *)get_cnx(cnx, AK_CNX_INPUT, 2);
    uint64_t need = 1 + varint_length(m->len) + m->len;
    uint64_t consumed = 0;
    if (need <= (uint64_t)(end - bytes)) {
        bytes[0] = FT_DATAGRAM_LEN;
        size_t n = picoquic_varint_encode(bytes + 1, end - bytes - 1, m->len);
        my_memcpy(bytes + 1 + n, m->data, m->len);
        consumed = 1 + n + m->len;
    } else {
        datagram_state_t *st = datagram_state(cnx);
        if (st != NULL)
            st->dropped++;
    }
    my_free(cnx, m);
    set_cnx(cnx, AK_CNX_OUTPUT, 0, consumed);
    set_cnx(cnx, AK_CNX_OUTPUT, 1, 0);
    return 0;
}
