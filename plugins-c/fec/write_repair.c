/* write_frame [REPAIR]: inputs (bytes, bytes_max, repair): block, count, length, XOR data. */
#include "fec.h"

protoop_arg_t write_repair(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint8_t *end = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 1);
    repair_t *r = (repair_t *)get_cnx(cnx, AK_CNX_INPUT, 2);
    uint64_t max = end - bytes;
    uint64_t consumed = 0;
    /*
     * At most MAX_SYMBOL (protect builds it so): saying it keeps the copy inside r->data and the
     * frame's length below from wrapping, whoever reserved r.
     */
    uint64_t len = r->len;
    if (len <= MAX_SYMBOL && max >= 1 + varint_length(r->block) + varint_length(r->count) + varint_length(len) + len) {
        uint8_t *p = bytes;
        *p++ = FT_REPAIR;
        p += picoquic_varint_encode(p, end - p, r->block);
        p += picoquic_varint_encode(p, end - p, r->count);
        p += picoquic_varint_encode(p, end - p, len);
        /* The data fits after the header the test above counted: the copy stays in the buffer. */
        if (len <= (uint64_t)(end - p)) {
            my_memcpy(p, r->data, len);
            consumed = (p - bytes) + len;
            fec_t *f = fec_state(cnx);
            if (f != NULL) {
                f->repairs_sent++;
                f->writing_repair = 1;
            }
        }
    }
    my_free(cnx, r);
    set_cnx(cnx, AK_CNX_OUTPUT, 0, consumed);
    set_cnx(cnx, AK_CNX_OUTPUT, 1, 0);
    return 0;
}
