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
    /* Read once: the byte stores below may alias m->len for the compiler, and the room check
     * must bound the very length the copy uses. */
    uint64_t len = m->len;
    uint64_t need = 1 + varint_length(len) + len;
    uint64_t consumed = 0;
    if (need <= (uint64_t)(end - bytes)) {
        bytes[0] = FT_DATAGRAM_LEN;
        size_t n = picoquic_varint_encode(bytes + 1, end - bytes - 1, len);
        uint8_t *payload = bytes + 1 + n;
        /* Always true (n is varint_length(len), which `need` counted), but the copy's bound is
         * then stated where it is used rather than derived from the varint's size. */
        if (n != 0 && len <= (uint64_t)(end - payload)) {
            my_memcpy(payload, m->data, len);
            consumed = 1 + n + len;
        }
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
