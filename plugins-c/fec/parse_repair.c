/* parse_frame [REPAIR]: inputs (bytes, bytes_max, type); output 0 a copy of the repair symbol. */
#include "fec.h"

protoop_arg_t parse_repair(picoquic_cnx_t *cnx)
{
    uint8_t *p = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint8_t *end = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 1);
    uint64_t block = 0, count = 0, len = 0;
    size_t n = picoquic_varint_decode(p, end - p, &block);
    if (n == 0)
        return 0;
    p += n;
    n = picoquic_varint_decode(p, end - p, &count);
    if (n == 0)
        return 0;
    p += n;
    n = picoquic_varint_decode(p, end - p, &len);
    if (n == 0)
        return 0;
    p += n;
    if (len > MAX_SYMBOL || len > (uint64_t)(end - p) || count == 0 || count > 64)
        return 0;
    repair_t *r = (repair_t *)my_malloc(cnx, sizeof(repair_t));
    if (r == NULL)
        return 0;
    r->block = block;
    r->count = count;
    r->len = len;
    my_memcpy(r->data, p, len);
    set_cnx(cnx, AK_CNX_OUTPUT, 0, (protoop_arg_t)r);
    set_cnx(cnx, AK_CNX_OUTPUT, 1, 1);
    set_cnx(cnx, AK_CNX_OUTPUT, 2, 0);
    return (protoop_arg_t)(p + len);
}
