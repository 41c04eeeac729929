/* notify_frame [0x3e]: inputs (note, received). Adds an acknowledged note's seq to a metadata counter and frees it. */
#include "note.h"

protoop_arg_t notify_note(picoquic_cnx_t *cnx)
{
    note_t *n = (note_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t received = get_cnx(cnx, AK_CNX_INPUT, 1);
    if (n == NULL)
        return 0;
    if (received && n->written != 0)
        set_cnx_metadata(cnx, ACKED_SLOT, get_cnx_metadata(cnx, ACKED_SLOT) + n->seq);
    my_free(cnx, n);
    return 0;
}
