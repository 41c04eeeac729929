/*
 * Verifier corpus: helper misuse and pointer leaks (pluglets: r1 is the connection handle).
 */
#include <pquic.h>

/* A made-up address handed to my_memcpy as its destination. */
protoop_arg_t forged_pointer(picoquic_cnx_t *cnx)
{
    uint8_t src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    my_memcpy((void *)0x40001000, src, sizeof src);
    return 0;
}

/* Copies 32 bytes into a 16-byte stack buffer. */
protoop_arg_t too_long(picoquic_cnx_t *cnx)
{
    uint8_t dst[16];
    uint8_t src[32];
    my_memset(src, 7, sizeof src);
    my_memcpy(dst, src, sizeof src);
    return dst[0];
}

/* A message longer than the host accepts (65536 bytes). */
protoop_arg_t message_too_long(picoquic_cnx_t *cnx)
{
    uint8_t *p = my_malloc(cnx, 70000);
    if (!p)
        return 0;
    pquic_message_send(cnx, p, 70000);
    return 0;
}

/* The address of a stack buffer kept by the host as a metadata value. */
protoop_arg_t leak_metadata(picoquic_cnx_t *cnx)
{
    volatile uint64_t local = 5;
    set_cnx_metadata(cnx, 0, (uint64_t)&local);
    return local;
}

/* The address of a stack buffer returned to the host. */
protoop_arg_t leak_return(picoquic_cnx_t *cnx)
{
    volatile uint64_t local = 5;
    volatile uint64_t *p = &local;
    return (protoop_arg_t)p;
}

/* A connection handle where a path handle is expected. */
protoop_arg_t wrong_handle(picoquic_cnx_t *cnx)
{
    return get_path((picoquic_path_t *)cnx, AK_PATH_CWIN, 0);
}
