/*
 * parse_frame [0x30, 0x31]: inputs (bytes, bytes_max, frame_type), bytes just after the frame
 * type. Copies the payload into a message in the plugin's heap: output 0 the message, output 1
 * ack-eliciting (RFC 9221 §5.2), output 2 not retransmittable. Returns the end of the frame, 0
 * when malformed.
 */
#include "datagram.h"

protoop_arg_t parse_datagram(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint8_t *end = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 1);
    uint64_t type = get_cnx(cnx, AK_CNX_INPUT, 2);
    uint64_t len = end - bytes;
    if (type == FT_DATAGRAM_LEN) {
        size_t n = picoquic_varint_decode(bytes, end - bytes, &len);
        if (n == 0)
            return 0;
        bytes += n;
        if (len > (uint64_t)(end - bytes))
            return 0;
    }
    if (len > LOCAL_MAX_FRAME_SIZE)
        return 0;
    message_t *m = (message_t *)my_malloc(cnx, sizeof(message_t) + len);
    if (m == NULL)
        return 0;
    m->len = len;
    my_memcpy(m->data, bytes, len);
    set_cnx(cnx, AK_CNX_OUTPUT, 0, (protoop_arg_t)m);
    set_cnx(cnx, AK_CNX_OUTPUT, 1, 1);
    set_cnx(cnx, AK_CNX_OUTPUT, 2, 0);
    return (protoop_arg_t)(bytes + len);
}
