/* process_frame [RECOVERED]: the peer rebuilt our symbol: its packet needs no retransmission. */
#include "fec.h"

protoop_arg_t process_recovered(picoquic_cnx_t *cnx)
{
    uint64_t id = get_cnx(cnx, AK_CNX_INPUT, 0);
    fec_t *f = fec_state(cnx);
    if (f == NULL || id >= f->next_id || f->next_id - id > ID_RING)
        return 0;
    if (packet_recovered(cnx, f->id_pn[id % ID_RING]))
        f->recovered_acked++;
    return 0;
}
