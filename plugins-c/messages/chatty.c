/*
 * update_rtt (post): tries to send the application 300 messages of 8 bytes and counts in the
 * connection's metadata how many were queued (slot 0) and refused because the queue was full
 * (slot 1). For the tests of pquic_message_send.
 */
#include <pquic.h>

protoop_arg_t chatty(picoquic_cnx_t *cnx)
{
    uint8_t msg[8] = { 'p', 'q', 'u', 'i', 'c', '-', 't', 's' };
    uint64_t queued = 0, refused = 0;
    for (int i = 0; i < 300; i++) {
        if (pquic_message_send(cnx, msg, sizeof(msg)) == 0)
            queued++;
        else
            refused++;
    }
    set_cnx_metadata(cnx, 0, get_cnx_metadata(cnx, 0) + queued);
    set_cnx_metadata(cnx, 1, get_cnx_metadata(cnx, 1) + refused);
    return 0;
}
