/*
 * update_rtt (post): runs the plugin-defined protoop double_it on the RTT sample through
 * plugin_run_protoop, and keeps the result in metadata slot 0 (the test reads it).
 */
#include <pquic.h>

protoop_arg_t caller(picoquic_cnx_t *cnx)
{
    uint64_t in[1];
    in[0] = get_cnx(cnx, AK_CNX_INPUT, 0);
    protoop_arg_t r = plugin_run_protoop(cnx, "double_it", NO_PARAM, 1, in);
    set_cnx_metadata(cnx, 0, r);
    set_cnx_metadata(cnx, 1, in[0]);
    return 0;
}
