/*
 * A deliberately broken pluglet: allocates without checking for NULL until the heap is full,
 * then writes through the NULL it got.
 */
#include <pquic.h>

protoop_arg_t nomem(picoquic_cnx_t *cnx)
{
    for (int i = 0; i < 100000; i++) {
        uint64_t *p = (uint64_t *)my_malloc(cnx, 4096);
        *p = i;
    }
    return 0;
}
