/* update_rtt (post): starts the recursion. */
#include <pquic.h>

protoop_arg_t start_recursion(picoquic_cnx_t *cnx)
{
    uint64_t in[1] = { 0 };
    return plugin_run_protoop(cnx, "recurse", NO_PARAM, 1, in);
}
