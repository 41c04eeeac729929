/*
 * get_monitoring_stat (extern): the application asks for counter number input 0
 * (see monitoring.h); returns it, or 0 for an unknown index.
 */
#include "monitoring.h"

protoop_arg_t get_stat(picoquic_cnx_t *cnx)
{
    uint64_t i = get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t *s = monitoring_stats(cnx);
    if (s == NULL || i >= MON_COUNT)
        return 0;
    return s[i];
}
