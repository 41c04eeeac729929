/*
 * finalize_and_protect_packet (replace): inputs (space, pn, buffer, used). Appends an SFPID
 * frame with the next symbol id, adds the packet to the current block and, after K symbols,
 * reserves a REPAIR frame. Packets carrying a REPAIR frame are not protected themselves.
 */
#include "fec.h"

protoop_arg_t protect(picoquic_cnx_t *cnx)
{
    uint64_t pn = get_cnx(cnx, AK_CNX_INPUT, 1);
    uint8_t *buf = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 2);
    uint64_t used = get_cnx(cnx, AK_CNX_INPUT, 3);
    fec_t *f = fec_state(cnx);
    if (f == NULL || f->peer_scheme != FEC_SCHEME)
        return used;
    if (f->writing_repair) {
        f->writing_repair = 0;
        return used;
    }
    if (used + 9 + 2 > MAX_SYMBOL || used == 0)
        return used;
    uint64_t id = f->next_id;
    buf[used] = FT_SFPID;
    size_t n = picoquic_varint_encode(buf + used + 1, 8, id);
    if (n == 0)
        return used;
    used += 1 + n;
    f->next_id++;
    f->id_pn[id % ID_RING] = pn;
    xor_symbol(f->acc, &f->acc_len, buf, used);
    f->symbols_sent++;
    f->in_block++;
    if (f->in_block == K) {
        repair_t *r = (repair_t *)my_malloc(cnx, sizeof(repair_t));
        if (r != NULL) {
            r->block = id / K;
            r->count = K;
            r->len = f->acc_len;
            my_memcpy(r->data, f->acc, f->acc_len);
            uint64_t bytes = 1 + varint_length(r->block) + varint_length(r->count) + varint_length(r->len) + r->len;
            reserve_frame_slot_t slot = { FT_REPAIR, bytes, 1, (uint64_t)r };
            if (reserve_frames(cnx, 1, &slot) == 0)
                my_free(cnx, r);
        }
        my_memset(f->acc, 0, MAX_SYMBOL);
        f->acc_len = 0;
        f->in_block = 0;
    }
    return used;
}
