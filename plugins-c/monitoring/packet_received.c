/* received_packet (post): inputs 0 packet type, 1 packet number, 2 size in bytes. */
#include "monitoring.h"

protoop_arg_t packet_received(picoquic_cnx_t *cnx)
{
    uint64_t *s = monitoring_stats(cnx);
    if (s == NULL)
        return 0;
    s[MON_PACKETS_RECEIVED]++;
    s[MON_BYTES_RECEIVED] += get_cnx(cnx, AK_CNX_INPUT, 2);
    return 0;
}
