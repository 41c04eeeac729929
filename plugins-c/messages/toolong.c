/* update_rtt (post): sends a message longer than the 65536 bytes allowed: the plugin fails. */
#include <pquic.h>

protoop_arg_t toolong(picoquic_cnx_t *cnx)
{
    uint8_t *big = (uint8_t *) my_malloc(cnx, 70000);
    if (big != NULL)
        pquic_message_send(cnx, big, 70000);
    return 0;
}
