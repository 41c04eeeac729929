/*
 * get_fec_stat (extern): input 0: 0 symbols sent, 1 repairs sent, 2 packets recovered here,
 * 3 our packets the peer recovered (still in flight), 4 repairs received.
 */
#include "fec.h"

protoop_arg_t get_stat(picoquic_cnx_t *cnx)
{
    uint64_t i = get_cnx(cnx, AK_CNX_INPUT, 0);
    fec_t *f = fec_state(cnx);
    if (f == NULL)
        return 0;
    switch (i) {
    case 0: return f->symbols_sent;
    case 1: return f->repairs_sent;
    case 2: return f->recovered;
    case 3: return f->recovered_acked;
    case 4: return f->repairs_received;
    default: return 0;
    }
}
