/* A deliberately broken pluglet: loops until its instruction budget runs out. */
#include <pquic.h>

protoop_arg_t spin(picoquic_cnx_t *cnx)
{
    volatile uint64_t n = get_cnx(cnx, AK_CNX_INPUT, 0);
    while (n != 0xffffffffffffffffULL)
        n = n + 1;
    return n;
}
