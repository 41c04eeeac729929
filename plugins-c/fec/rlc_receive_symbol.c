// build-flags: -DFEC_SCHEME=2
/*
 * received_packet (post), random linear code: inputs (type, pn, size, payload, payload
 * length). A packet that carried an SFPID goes into the receiving window; a late symbol may
 * complete a system of repairs.
 */
#include "rlc.h"

protoop_arg_t rlc_receive_symbol(picoquic_cnx_t *cnx)
{
    fec_t *f = fec_state(cnx);
    if (f == NULL || !f->rx_has_id)
        return 0;
    f->rx_has_id = 0;
    const uint8_t *payload = (const uint8_t *)get_cnx(cnx, AK_CNX_INPUT, 3);
    uint64_t n = get_cnx(cnx, AK_CNX_INPUT, 4);
    if (n == 0 || n + 2 > MAX_SYMBOL)
        return 0;
    gf_init(f);
    uint64_t id = f->rx_id;
    win_symbol_t *s = &f->rx_win[RX_SLOT(id)];
    if (s->valid && s->id >= id)
        return 0;
    s->id = id;
    s->valid = 1;
    s->len = n + 2;
    s->data[0] = (uint8_t)(n >> 8);
    s->data[1] = (uint8_t)n;
    my_memcpy(s->data + 2, payload, n);
    rlc_try_decode(cnx, f);
    return 0;
}
