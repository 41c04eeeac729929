/* stream_opened (post). */
#include "monitoring.h"

protoop_arg_t stream_opened(picoquic_cnx_t *cnx)
{
    uint64_t *s = monitoring_stats(cnx);
    if (s != NULL)
        s[MON_STREAMS_OPENED]++;
    return 0;
}
