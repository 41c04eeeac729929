/*
 * connection_state_changed (post): inputs 0 old state, 1 new state (AK_CNX_STATE numbering).
 * When the connection reaches "closed", the counters go into its qlog as one event and to the
 * application as one message (the u64 counters in their order), as PQUIC's monitoring sent
 * them to an exporter.
 */
#include "monitoring.h"

#define STATE_CLOSED 5

protoop_arg_t state_changed(picoquic_cnx_t *cnx)
{
    if (get_cnx(cnx, AK_CNX_INPUT, 1) != STATE_CLOSED)
        return 0;
    uint64_t *s = monitoring_stats(cnx);
    if (s == NULL)
        return 0;
    pquic_qlog_values(cnx, "monitoring",
                      "packets_sent,bytes_sent,packets_received,bytes_received,packets_lost,rtt_samples,latest_rtt,min_rtt,streams_opened,streams_closed",
                      s);
    pquic_message_send(cnx, s, MON_COUNT * sizeof(uint64_t));
    return 0;
}
