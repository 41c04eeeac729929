/*
 * A deliberately broken pluglet: frees the packet payload the host granted it for this call.
 * The host owns that buffer and releases it after the call; the plugin must fail alone (the
 * verifier refuses this when it can see the pointer is the grant; here it is loaded unverified).
 */
#include <pquic.h>

protoop_arg_t freegrant(picoquic_cnx_t *cnx)
{
    uint8_t *payload = (uint8_t *) get_cnx(cnx, AK_CNX_INPUT, 3);
    my_free(cnx, payload);
    return 0;
}
