/*
 * process_frame [REPAIR]: input 0 the repair symbol. With exactly one symbol of its block
 * missing, rebuilds it, hands its frames to the connection, and reserves a RECOVERED frame.
 */
#include "fec.h"

protoop_arg_t process_repair(picoquic_cnx_t *cnx)
{
    repair_t *r = (repair_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    fec_t *f = fec_state(cnx);
    if (f == NULL || r == NULL)
        return 0;
    f->repairs_received++;
    rx_block_t *b = &f->rx[r->block % RX_BLOCKS];
    if (b->block != r->block) {
        /* Nothing of this block arrived (or it was forgotten): nothing to rebuild from. */
        my_free(cnx, r);
        return 0;
    }
    if (b->done || b->count + 1 != r->count) {
        my_free(cnx, r);
        return 0;
    }
    uint64_t missing = 0;
    while (missing < r->count && (b->mask & (1ULL << missing)))
        missing++;
    uint64_t len = r->len > b->len ? r->len : b->len;
    /*
     * Both are symbol lengths, at most MAX_SYMBOL, the size of b->acc and r->data (parse_repair
     * and receive_symbol check theirs): said here, where the XOR indexes both.
     */
    if (len > MAX_SYMBOL) {
        my_free(cnx, r);
        return 0;
    }
    for (uint64_t i = 0; i < len; i++)
        b->acc[i] ^= r->data[i];
    uint64_t n = ((uint64_t)b->acc[0] << 8) | b->acc[1];
    b->done = 1;
    my_free(cnx, r);
    if (n == 0 || n + 2 > len)
        return 0;
    recover_packet(cnx, b->acc + 2, n);
    /* The rebuilt packet's own SFPID was just processed again: it names no received packet. */
    f->rx_has_id = 0;
    f->recovered++;
    uint64_t id = b->block * K + missing;
    reserve_frame_slot_t slot = { FT_RECOVERED, 9, 0, id };
    reserve_frames(cnx, 1, &slot);
    return 0;
}
