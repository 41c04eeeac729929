/* write_frame [0x3e]: inputs (bytes, bytes_max, note). Writes a PING and marks the note. */
#include "note.h"

protoop_arg_t write_note(picoquic_cnx_t *cnx)
{
    uint8_t *bytes = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    uint8_t *end = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 1);
    note_t *n = (note_t *)get_cnx(cnx, AK_CNX_INPUT, 2);
    uint64_t consumed = 0;
    if (n != NULL && end - bytes >= 1) {
        bytes[0] = 0x01;
        n->written++;
        consumed = 1;
    }
    set_cnx(cnx, AK_CNX_OUTPUT, 0, consumed);
    set_cnx(cnx, AK_CNX_OUTPUT, 1, 1);
    return 0;
}
