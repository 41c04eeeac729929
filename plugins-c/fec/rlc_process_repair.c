// build-flags: -DFEC_SCHEME=2
/*
 * process_frame [REPAIR], random linear code: input 0 the repair (window first id, count,
 * length, data). Stored, then the receiver tries to solve for the missing symbols.
 */
#include "rlc.h"

protoop_arg_t rlc_process_repair(picoquic_cnx_t *cnx)
{
    repair_t *r = (repair_t *)get_cnx(cnx, AK_CNX_INPUT, 0);
    fec_t *f = fec_state(cnx);
    if (f == NULL || r == NULL)
        return 0;
    f->repairs_received++;
    gf_init(f);
    if (r->count > 0 && r->count <= W && r->len <= MAX_SYMBOL) {
        rx_repair_t *slot = &f->rx_rep[ROW(f->rx_rep_next)];
        f->rx_rep_next++;
        slot->first = r->block;
        slot->count = r->count;
        slot->len = r->len;
        slot->valid = 1;
        my_memcpy(slot->data, r->data, r->len);
    }
    my_free(cnx, r);
    rlc_try_decode(cnx, f);
    return 0;
}
