/*
 * RFC 9221 DATAGRAM frames, entirely as a plugin. State shared by the pluglets, kept in the
 * plugin's heap (address in metadata slot 0). Received messages wait in a ring until the
 * application takes them through the get_message extern operation.
 */
#include <pquic.h>

#define FT_DATAGRAM 0x30         /* no Length field: the frame ends the packet */
#define FT_DATAGRAM_LEN 0x31     /* with a Length field */
#define TP_MAX_DATAGRAM_FRAME_SIZE 0x20
#define LOCAL_MAX_FRAME_SIZE 1200 /* what we accept: max_datagram_frame_size */
#define RING 64

typedef struct {
    uint64_t len;
    uint8_t data[];
} message_t;

typedef struct {
    uint64_t peer_max;           /* the peer's max_datagram_frame_size, 0: not supported */
    uint64_t sent, acked, lost, dropped, received;
    uint64_t head, count;        /* ring of received messages */
    message_t *ring[RING];
} datagram_state_t;

static inline __attribute__((always_inline)) datagram_state_t *datagram_state(picoquic_cnx_t *cnx)
{
    datagram_state_t *st = (datagram_state_t *)get_cnx_metadata(cnx, 0);
    if (st == NULL) {
        st = (datagram_state_t *)my_malloc(cnx, sizeof(datagram_state_t));
        if (st == NULL)
            return NULL;
        my_memset(st, 0, sizeof(datagram_state_t));
        set_cnx_metadata(cnx, 0, (protoop_arg_t)st);
    }
    return st;
}

static inline __attribute__((always_inline)) uint64_t varint_length(uint64_t v)
{
    return v < 64 ? 1 : v < 16384 ? 2 : v < 1073741824 ? 4 : 8;
}
