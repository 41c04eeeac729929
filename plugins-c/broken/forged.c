/* A deliberately broken pluglet: hands a made-up path handle to get_path. */
#include <pquic.h>

protoop_arg_t forged(picoquic_cnx_t *cnx)
{
    picoquic_path_t *path = (picoquic_path_t *)get_cnx(cnx, AK_CNX_PATH, 0);
    return get_path((picoquic_path_t *)((uint64_t)path + 1), AK_PATH_CWIN, 0);
}
