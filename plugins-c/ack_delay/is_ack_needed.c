/*
 * is_ack_needed (replace): whether an ACK frame must go in the packet being built.
 * Inputs: 0 the packet number space, 1 the current time (microseconds).
 * Initial and Handshake packets are acknowledged at once; 1-RTT packets after ACK_THRESHOLD
 * ack-eliciting packets, or when the ack delay expires.
 */
#include <pquic.h>

#define ACK_THRESHOLD 2

protoop_arg_t is_ack_needed(picoquic_cnx_t *cnx)
{
    uint64_t space = get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t now = get_cnx(cnx, AK_CNX_INPUT, 1);
    picoquic_path_t *path = (picoquic_path_t *)get_cnx(cnx, AK_CNX_PATH, 0);
    picoquic_packet_context_t *pkt_ctx = (picoquic_packet_context_t *)get_path(path, AK_PATH_PKT_CTX, space);
    uint64_t pending = get_pkt_ctx(pkt_ctx, AK_PKTCTX_ACK_ELICITING_SINCE_ACK);
    if (pending == 0)
        return 0;
    if (space != PQUIC_SPACE_APPLICATION || pending >= ACK_THRESHOLD)
        return 1;
    uint64_t deadline = get_pkt_ctx(pkt_ctx, AK_PKTCTX_ACK_DEADLINE);
    return deadline != 0 && now >= deadline;
}
