/* stream_closed (post). */
#include "monitoring.h"

protoop_arg_t stream_closed(picoquic_cnx_t *cnx)
{
    uint64_t *s = monitoring_stats(cnx);
    if (s != NULL)
        s[MON_STREAMS_CLOSED]++;
    return 0;
}
