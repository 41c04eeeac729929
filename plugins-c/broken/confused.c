/* A deliberately broken pluglet: hands a packet handle to the stream getter. */
#include <pquic.h>

protoop_arg_t confused(picoquic_cnx_t *cnx)
{
    picoquic_stream_head *s = (picoquic_stream_head *) get_cnx(cnx, AK_CNX_INPUT, 0);
    return get_stream_head(s, AK_STREAMHEAD_STREAM_ID);
}
