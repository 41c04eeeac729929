/*
 * Forward erasure correction with an XOR block code, in the spirit of PQUIC's fec plugin
 * (QUIC-FEC): every 1-RTT packet this endpoint sends becomes a source symbol, marked by a
 * SOURCE_FPID (SFPID) frame with its symbol id; after K symbols a REPAIR frame carries their
 * XOR. A receiver missing exactly one symbol of a block rebuilds it from the others and the
 * repair symbol, hands its frames to the connection, and tells the sender in a RECOVERED frame,
 * so the sender does not retransmit it.
 *
 * A symbol is the packet's plaintext, prefixed with its length on 2 bytes; symbols of a block are
 * XORed over the longest one's length. State lives in the plugin heap (metadata slot 0).
 */
#include <pquic.h>

#define FT_SFPID 0x29
#define FT_REPAIR 0x2a
#define FT_RECOVERED 0x2b

#define TP_FEC 0x3f5e      /* transport parameter: this endpoint speaks this FEC scheme */
#define FEC_SCHEME_XOR 1
#define FEC_SCHEME_RLC 2
#ifndef FEC_SCHEME
#define FEC_SCHEME FEC_SCHEME_XOR
#endif
#define K 4               /* source symbols per block */
#define MAX_SYMBOL 1400   /* 2-byte length + payload */
#define RX_BLOCKS 16      /* blocks the receiver keeps */
#define ID_RING 256       /* symbol id -> packet number, sender side */
#define ROOM 32           /* bytes stream_bytes_max keeps free: SFPID, and a repair frame's header */

typedef struct {
    uint64_t block;
    uint64_t count;       /* symbols received */
    uint64_t mask;        /* which indexes arrived */
    uint64_t len;         /* XOR length */
    uint64_t done;
    uint8_t acc[MAX_SYMBOL];
} rx_block_t;

/* RLC: a sliding window of the last W source symbols, at each end. */
#define W 8
#define R 4               /* a repair symbol every R source symbols */
#define MAX_UNKNOWN 4

typedef struct {
    uint64_t id;
    uint64_t valid;
    uint64_t len;         /* bytes of data used (2-byte length + payload) */
    uint8_t data[MAX_SYMBOL];
} win_symbol_t;

typedef struct {
    uint64_t first, count, seed, len, valid;
    uint8_t data[MAX_SYMBOL];
} rx_repair_t;

typedef struct {
    /* FEC is used only once the peer's transport parameters say it has the same scheme */
    uint64_t peer_scheme;
    /* GF(256) tables (RLC), built on first use */
    uint64_t gf_ready;
    uint8_t gf_exp[512];
    uint8_t gf_log[256];
    win_symbol_t tx_win[W];
    win_symbol_t rx_win[16];
    rx_repair_t rx_rep[MAX_UNKNOWN];
    uint64_t rx_rep_next;
    uint8_t rhs[MAX_UNKNOWN][MAX_SYMBOL];
    /* sender */
    uint64_t next_id;
    uint64_t in_block;
    uint64_t acc_len;
    uint64_t writing_repair;
    uint64_t id_pn[ID_RING];
    uint8_t acc[MAX_SYMBOL];
    /* receiver */
    uint64_t rx_id;
    uint64_t rx_has_id;
    rx_block_t rx[RX_BLOCKS];
    /* statistics */
    uint64_t symbols_sent, repairs_sent, recovered, recovered_acked, repairs_received;
} fec_t;

typedef struct {
    uint64_t block;
    uint64_t count;
    uint64_t len;
    uint8_t data[MAX_SYMBOL];
} repair_t;

static inline __attribute__((always_inline)) fec_t *fec_state(picoquic_cnx_t *cnx)
{
    fec_t *f = (fec_t *)get_cnx_metadata(cnx, 0);
    if (f == NULL) {
        f = (fec_t *)my_malloc(cnx, sizeof(fec_t));
        if (f == NULL)
            return NULL;
        my_memset(f, 0, sizeof(fec_t));
        set_cnx_metadata(cnx, 0, (protoop_arg_t)f);
    }
    return f;
}

static inline __attribute__((always_inline)) uint64_t varint_length(uint64_t v)
{
    return v < 64 ? 1 : v < 16384 ? 2 : v < 1073741824 ? 4 : 8;
}

/*
 * The start of finalize_and_protect_packet for both codes: whether this packet is to be
 * protected (the peer agreed on our scheme, it carries no REPAIR frame, its symbol with the
 * SFPID frame and the 2-byte length fits in MAX_SYMBOL).
 */
static inline __attribute__((always_inline)) int fec_may_protect(fec_t *f, uint64_t used)
{
    if (f == NULL || f->peer_scheme != FEC_SCHEME)
        return 0;
    if (f->writing_repair) {
        f->writing_repair = 0;
        return 0;
    }
    if (used + 9 + 2 > MAX_SYMBOL || used == 0)
        return 0;
    return 1;
}

/* Records that packet `pn` carries the next source symbol, whose id goes to *id. */
static inline __attribute__((always_inline)) int fec_record_symbol(fec_t *f, uint64_t pn, uint64_t *id)
{
    *id = f->next_id++;
    /* id % ID_RING is the ring's index: the store stays in id_pn whatever the id. */
    f->id_pn[*id % ID_RING] = pn;
    f->symbols_sent++;
    return 1;
}

/*
 * Appends the SFPID frame naming the next source symbol and records which packet number carries
 * it (1, with the symbol id in *id and the new plaintext length in *used; 0 otherwise), for a
 * pluglet that knows the buffer's length `room` (input 4): the frame is written only inside the
 * buffer, and a packet without room for it stays unprotected (the host
 * refused a result past the buffer anyway). fec_may_protect's `used + 11` wraps for a used
 * within 11 of 2^64, which no host passes but a verifier must assume: the same bound again
 * without a sum.
 */
static inline __attribute__((always_inline)) int fec_append_sfpid_in(fec_t *f, uint8_t *buf, uint64_t room, uint64_t *used, uint64_t pn, uint64_t *id)
{
    if (!fec_may_protect(f, *used))
        return 0;
    if (*used > MAX_SYMBOL - 11 || *used >= room)
        return 0;
    uint8_t *end = buf + room;
    uint8_t *p = buf + *used;
    *p++ = FT_SFPID;
    size_t n = picoquic_varint_encode(p, end - p, f->next_id);
    if (n == 0)
        return 0;
    *used = (p + n) - buf;
    return fec_record_symbol(f, pn, id);
}

/* Queues a REPAIR frame for r (freed here if the queue is full); notify_frame frees it later. */
static inline __attribute__((always_inline)) void fec_reserve_repair(picoquic_cnx_t *cnx, repair_t *r)
{
    uint64_t bytes = 1 + varint_length(r->block) + varint_length(r->count) + varint_length(r->len) + r->len;
    reserve_frame_slot_t slot = { FT_REPAIR, bytes, 1, (uint64_t)r };
    if (reserve_frames(cnx, 1, &slot) == 0)
        my_free(cnx, r);
}

/* acc[0..len) ^= (2-byte length || payload), widening len as needed. */
static inline __attribute__((always_inline)) void xor_symbol(uint8_t *acc, uint64_t *acc_len, const uint8_t *payload, uint64_t n)
{
    uint64_t total = n + 2;
    if (total > *acc_len)
        *acc_len = total;
    acc[0] ^= (uint8_t)(n >> 8);
    acc[1] ^= (uint8_t)n;
    for (uint64_t i = 0; i < n; i++)
        acc[2 + i] ^= payload[i];
}
