/*
 * finalize_and_protect_packet (replace): inputs (space, pn, buffer, used, buffer length). Appends an SFPID
 * frame with the next symbol id, adds the packet to the current block and, after K symbols,
 * reserves a REPAIR frame. Packets carrying a REPAIR frame are not protected themselves.
 */
#include "fec.h"

protoop_arg_t protect(picoquic_cnx_t *cnx)
{
    uint64_t pn = get_cnx(cnx, AK_CNX_INPUT, 1);
    uint8_t *buf = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 2);
    uint64_t used = get_cnx(cnx, AK_CNX_INPUT, 3);
    uint64_t room = get_cnx(cnx, AK_CNX_INPUT, 4);
    fec_t *f = fec_state(cnx);
    uint64_t id;
    if (!fec_append_sfpid_in(f, buf, room, &used, pn, &id))
        return used;
    xor_symbol(f->acc, &f->acc_len, buf, used);
    f->in_block++;
    if (f->in_block == K) {
        repair_t *r = (repair_t *)my_malloc(cnx, sizeof(repair_t));
        if (r != NULL) {
            r->block = id / K;
            r->count = K;
            r->len = f->acc_len;
            my_memcpy(r->data, f->acc, f->acc_len);
            fec_reserve_repair(cnx, r);
        }
        my_memset(f->acc, 0, MAX_SYMBOL);
        f->acc_len = 0;
        f->in_block = 0;
    }
    return used;
}
