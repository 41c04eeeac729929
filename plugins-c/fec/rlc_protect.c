// build-flags: -DFEC_SCHEME=2
/*
 * finalize_and_protect_packet (replace), random linear code: inputs (space, pn, buffer, used,
 * buffer length). Appends the SFPID frame, keeps the symbol in the sending window, and every R
 * symbols reserves a REPAIR frame combining the window's symbols.
 */
#include "rlc.h"

protoop_arg_t rlc_protect(picoquic_cnx_t *cnx)
{
    uint64_t pn = get_cnx(cnx, AK_CNX_INPUT, 1);
    uint8_t *buf = (uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 2);
    uint64_t used = get_cnx(cnx, AK_CNX_INPUT, 3);
    uint64_t room = get_cnx(cnx, AK_CNX_INPUT, 4);
    fec_t *f = fec_state(cnx);
    uint64_t id;
    /* A packet without room for the SFPID frame stays unprotected rather than overflow buf. */
    if (!fec_append_sfpid_in(f, buf, room, &used, pn, &id))
        return used;
    gf_init(f);
    win_symbol_t *s = &f->tx_win[id % W];
    s->id = id;
    s->valid = 1;
    s->len = used + 2;
    s->data[0] = (uint8_t)(used >> 8);
    s->data[1] = (uint8_t)used;
    my_memcpy(s->data + 2, buf, used);
    if ((id + 1) % R != 0)
        return used;
    repair_t *r = (repair_t *)my_malloc(cnx, sizeof(repair_t));
    if (r == NULL)
        return used;
    /* The window: the last W ids up to this one, fewer at the start. */
    uint64_t first = id + 1 >= W ? id + 1 - W : 0;
    uint64_t count = id + 1 - first;
    r->block = first;
    r->count = count;
    r->len = 0;
    my_memset(r->data, 0, MAX_SYMBOL);
    /* count <= W for every id below 2^64 - 1 (ids count packets); the walk is clamped to W as
     * well, so that its bound does not depend on the id. */
    uint64_t span = count < W ? count : W;
    for (uint64_t k = 0; k < span; k++) {
        uint64_t j = first + k;
        win_symbol_t *w = &f->tx_win[j % W];
        if (!w->valid || w->id != j)
            continue;
        gf_axpy(f, r->data, w->data, w->len, rlc_coef(first, j));
        if (w->len > r->len)
            r->len = w->len;
    }
    fec_reserve_repair(cnx, r);
    return used;
}
