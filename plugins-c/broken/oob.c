/*
 * A deliberately broken pluglet: writes 8 bytes far outside the plugin's memory. The VM stops
 * it; the runtime disables the plugin and closes (or, for an optional plugin, spares) the
 * connection.
 */
#include <pquic.h>

protoop_arg_t oob(picoquic_cnx_t *cnx)
{
    uint64_t rtt = get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t *p = (uint64_t *)(rtt * 4096 + 0x40000000);
    *p = rtt;
    return 0;
}
