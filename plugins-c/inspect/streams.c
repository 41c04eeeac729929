/* stream_opened (post): input 0 is the stream id; walks the list of open streams. */
#include "inspect.h"

protoop_arg_t streams(picoquic_cnx_t *cnx)
{
    uint64_t opened = get_cnx(cnx, AK_CNX_INPUT, 0);
    picoquic_stream_head *s = (picoquic_stream_head *) get_cnx(cnx, AK_CNX_FIRST_STREAM, 0);
    uint64_t n = 0, found = 0, last = 0;
    for (int i = 0; i < 1000 && s != NULL; i++) {
        uint64_t id = get_stream_head(s, AK_STREAMHEAD_STREAM_ID);
        if (n > 0 && id <= last)
            in_add(cnx, IN_ERRORS, 1);
        if (id == opened)
            found = 1;
        last = id;
        n++;
        s = (picoquic_stream_head *) get_stream_head(s, AK_STREAMHEAD_NEXT_STREAM);
    }
    if (!found)
        in_add(cnx, IN_ERRORS, 1);
    in_max(cnx, IN_MAX_STREAMS, n);
    return 0;
}
