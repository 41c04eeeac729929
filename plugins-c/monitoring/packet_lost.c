/* packet_was_lost (pre): one packet declared lost. */
#include "monitoring.h"

protoop_arg_t packet_lost(picoquic_cnx_t *cnx)
{
    uint64_t *s = monitoring_stats(cnx);
    if (s != NULL)
        s[MON_PACKETS_LOST]++;
    return 0;
}
