/* double_it (a protoop this plugin defines): returns twice input 0. */
#include <pquic.h>

protoop_arg_t double_it(picoquic_cnx_t *cnx)
{
    return 2 * get_cnx(cnx, AK_CNX_INPUT, 0);
}
