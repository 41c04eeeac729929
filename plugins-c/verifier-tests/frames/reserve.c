/* reserve_note (extern): inputs (frame type, seq). Reserves one frame whose frame_ctx is a note. */
#include "note.h"

protoop_arg_t reserve_note(picoquic_cnx_t *cnx)
{
    uint64_t type = get_cnx(cnx, AK_CNX_INPUT, 0);
    note_t *n = (note_t *)my_malloc(cnx, sizeof(note_t));
    if (n == NULL)
        return 0;
    n->seq = get_cnx(cnx, AK_CNX_INPUT, 1);
    n->written = 0;
    reserve_frame_slot_t slot = { type, 1, 0, (uint64_t)n };
    size_t r = reserve_frames(cnx, 1, &slot);
    if (r == 0)
        my_free(cnx, n);
    return r;
}
