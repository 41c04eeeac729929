/* update_rtt (post): input 0 is the RTT sample in microseconds. */
#include "monitoring.h"

protoop_arg_t rtt_updated(picoquic_cnx_t *cnx)
{
    uint64_t *s = monitoring_stats(cnx);
    if (s == NULL)
        return 0;
    uint64_t rtt = get_cnx(cnx, AK_CNX_INPUT, 0);
    s[MON_RTT_SAMPLES]++;
    s[MON_LATEST_RTT] = rtt;
    if (s[MON_MIN_RTT] == 0 || rtt < s[MON_MIN_RTT])
        s[MON_MIN_RTT] = rtt;
    return 0;
}
