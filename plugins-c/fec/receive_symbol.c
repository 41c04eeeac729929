/*
 * received_packet (post): inputs (type, pn, size, payload, payload length). A packet that
 * carried an SFPID (the sender puts it last) is added, whole, to its block at the receiver.
 */
#include "fec.h"

protoop_arg_t receive_symbol(picoquic_cnx_t *cnx)
{
    fec_t *f = fec_state(cnx);
    if (f == NULL || !f->rx_has_id)
        return 0;
    f->rx_has_id = 0;
    const uint8_t *payload = (const uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 3);
    uint64_t end = get_cnx(cnx, AK_CNX_INPUT, 4);
    uint64_t id = f->rx_id;
    uint64_t block = id / K;
    uint64_t index = id % K;
    rx_block_t *b = &f->rx[block % RX_BLOCKS];
    if (b->block != block || (b->count == 0 && b->mask == 0 && b->len == 0)) {
        my_memset(b, 0, sizeof(rx_block_t));
        b->block = block;
    }
    if (b->mask & (1ULL << index))
        return 0;
    if (end == 0 || end + 2 > MAX_SYMBOL)
        return 0;
    xor_symbol(b->acc, &b->len, payload, end);
    b->mask |= 1ULL << index;
    b->count++;
    return 0;
}
