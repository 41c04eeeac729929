/* packet_was_lost (post): input 0 is the packet, 1 its packet number space. */
#include "inspect.h"

protoop_arg_t lost(picoquic_cnx_t *cnx)
{
    picoquic_packet_t *pkt = (picoquic_packet_t *) get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t space = get_cnx(cnx, AK_CNX_INPUT, 1);
    picoquic_path_t *path = (picoquic_path_t *) get_cnx(cnx, AK_CNX_PATH, 0);
    picoquic_packet_context_t *ctx = (picoquic_packet_context_t *) get_path(path, AK_PATH_PKT_CTX, space);
    in_add(cnx, IN_LOST, 1);
    in_add(cnx, IN_LOST_BYTES, get_pkt(pkt, AK_PKT_LENGTH));
    /* The packet belongs to that space, was sent before the next number, and no later than now. */
    if (get_pkt(pkt, AK_PKT_CONTEXT) != (protoop_arg_t) ctx
        || get_pkt(pkt, AK_PKT_SEQUENCE_NUMBER) >= get_pkt_ctx(ctx, AK_PKTCTX_SEND_SEQUENCE)
        || get_pkt(pkt, AK_PKT_SEND_TIME) > picoquic_current_time()
        || get_pkt(pkt, AK_PKT_SEND_PATH) != (protoop_arg_t) path)
        in_add(cnx, IN_ERRORS, 1);
    /* A packet is declared lost once: its metadata slot is still 0. */
    if (get_pkt_metadata(cnx, pkt, 0) != 0)
        in_add(cnx, IN_ERRORS, 1);
    set_pkt_metadata(cnx, pkt, 0, 1);
    set_pkt_ctx_metadata(cnx, ctx, 0, get_pkt_ctx_metadata(cnx, ctx, 0) + 1);
    return 0;
}
