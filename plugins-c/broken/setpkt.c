/* A deliberately broken pluglet: rewrites the packet number of a packet the core sent. */
#include <pquic.h>

protoop_arg_t setpkt(picoquic_cnx_t *cnx)
{
    picoquic_packet_t *pkt = (picoquic_packet_t *) get_cnx(cnx, AK_CNX_INPUT, 0);
    set_pkt(pkt, AK_PKT_SEQUENCE_NUMBER, 0);
    return 0;
}
