/* Shared by the monitoring pluglets: the counters, kept in the plugin's heap. */
#include <pquic.h>

enum {
    MON_PACKETS_SENT,
    MON_BYTES_SENT,
    MON_PACKETS_RECEIVED,
    MON_BYTES_RECEIVED,
    MON_PACKETS_LOST,
    MON_RTT_SAMPLES,
    MON_LATEST_RTT,
    MON_MIN_RTT,
    MON_STREAMS_OPENED,
    MON_STREAMS_CLOSED,
    MON_COUNT
};

/* The counters live in one heap block whose address is kept in metadata slot 0. */
static inline __attribute__((always_inline)) uint64_t *monitoring_stats(picoquic_cnx_t *cnx)
{
    uint64_t *stats = (uint64_t *)get_cnx_metadata(cnx, 0);
    if (stats == NULL) {
        stats = (uint64_t *)my_malloc(cnx, MON_COUNT * sizeof(uint64_t));
        if (stats == NULL)
            return NULL;
        my_memset(stats, 0, MON_COUNT * sizeof(uint64_t));
        set_cnx_metadata(cnx, 0, (protoop_arg_t)stats);
    }
    return stats;
}
