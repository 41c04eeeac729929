/* update_rtt (post), injected only once negotiated: counts RTT samples in metadata slot 0. */
#include <pquic.h>

protoop_arg_t count_rtt(picoquic_cnx_t *cnx)
{
    set_cnx_metadata(cnx, 0, get_cnx_metadata(cnx, 0) + 1);
    return 0;
}
