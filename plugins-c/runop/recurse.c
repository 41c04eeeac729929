/* recurse (a protoop this plugin defines): calls itself, which the runtime must refuse. */
#include <pquic.h>

protoop_arg_t recurse(picoquic_cnx_t *cnx)
{
    uint64_t in[1] = { 0 };
    return plugin_run_protoop(cnx, "recurse", NO_PARAM, 1, in);
}
