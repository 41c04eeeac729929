/*
 * A deliberately broken pluglet: runs the core operation OP through plugin_run_protoop with
 * plain numbers where the core expects a packet, a frame reader or a buffer. The plugin must
 * fail alone (a clear error, its connection closed), never the process.
 */
#include <pquic.h>

protoop_arg_t runcore(picoquic_cnx_t *cnx)
{
    uint64_t in[5] = { 1, 2, 3, 4, 5 };
    return plugin_run_protoop(cnx, OP, OP_PARAM, 5, in);
}
