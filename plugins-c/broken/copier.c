/*
 * A deliberately greedy pluglet: few instructions, but each my_memcpy moves 60 KB, so the host
 * would do the work if helpers did not charge the budget for it.
 */
#include <pquic.h>

protoop_arg_t copier(picoquic_cnx_t *cnx)
{
    uint8_t *buf = (uint8_t *) my_malloc(cnx, 60000);
    if (buf == NULL)
        return 0;
    for (int i = 0; i < 1000; i++)
        my_memcpy(buf, buf + 1, 59999);
    my_free(cnx, buf);
    return 0;
}
