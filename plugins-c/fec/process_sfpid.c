/* process_frame [SFPID]: input 0 the symbol id; the packet being processed is that symbol. */
#include "fec.h"

protoop_arg_t process_sfpid(picoquic_cnx_t *cnx)
{
    fec_t *f = fec_state(cnx);
    if (f == NULL)
        return 0;
    f->rx_id = get_cnx(cnx, AK_CNX_INPUT, 0);
    f->rx_has_id = 1;
    return 0;
}
