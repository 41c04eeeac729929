/* received_packet (post): walks the ranges of received 1-RTT packet numbers, highest first. */
#include "inspect.h"

protoop_arg_t sack(picoquic_cnx_t *cnx)
{
    picoquic_path_t *path = (picoquic_path_t *) get_cnx(cnx, AK_CNX_PATH, 0);
    picoquic_packet_context_t *ctx = (picoquic_packet_context_t *) get_path(path, AK_PATH_PKT_CTX, PQUIC_SPACE_APPLICATION);
    picoquic_sack_item_t *item = (picoquic_sack_item_t *) get_pkt_ctx(ctx, AK_PKTCTX_FIRST_SACK_ITEM);
    if (item == NULL)
        return 0;
    if (get_sack_item(item, AK_SACKITEM_END_RANGE) != get_pkt_ctx(ctx, AK_PKTCTX_LARGEST_RECEIVED))
        in_add(cnx, IN_ERRORS, 1);
    uint64_t n = 0, below = 0;
    for (int i = 0; i < 300 && item != NULL; i++) {
        uint64_t start = get_sack_item(item, AK_SACKITEM_START_RANGE);
        uint64_t end = get_sack_item(item, AK_SACKITEM_END_RANGE);
        /* Ranges are disjoint, not touching, and descending. */
        if (start > end || (n > 0 && end + 1 >= below))
            in_add(cnx, IN_ERRORS, 1);
        below = start;
        n++;
        item = (picoquic_sack_item_t *) get_sack_item(item, AK_SACKITEM_NEXT_SACK);
    }
    in_max(cnx, IN_MAX_RANGES, n);
    in_add(cnx, IN_SACK_WALKS, 1);
    return 0;
}
