/* process_transport_parameter [0x3f00]: the peer has the plugin too: negotiated (returns 1). */
#include <pquic.h>

protoop_arg_t process_tp(picoquic_cnx_t *cnx)
{
    return 1;
}
