/* A deliberately broken pluglet: tries to overwrite a read-only connection key. */
#include <pquic.h>

protoop_arg_t readonly(picoquic_cnx_t *cnx)
{
    set_cnx(cnx, AK_CNX_DATA_SENT, 0, 0);
    return 0;
}
