/*
 * pquic.h: the plugin API of pquic-ts, for pluglets written in C and compiled with
 * `clang -O2 -target bpf -mcpu=v3` (see tools/build-plugins.mjs).
 *
 * BPF programs have no libc, so this header defines the few types it needs from clang's
 * builtin macros instead of including <stdint.h>.
 *
 * Helpers are plain extern functions. A call compiles to a BPF `call` with a relocation against
 * the function's name; the VM binds it by that name at load time (as PQUIC does, see
 * reference/pquic.md §4.1), and refuses to load an object that calls a name it does not provide.
 * Arguments travel in r1-r5, the result comes back in r0, so a helper takes at most 5 arguments.
 *
 * Memory safety: unlike PQUIC, where helpers receive raw host pointers, every pointer given to
 * a helper here is an address in the plugin's own memory (its stack, its data sections, its heap
 * or the `mem` buffer of the run). The VM checks that each range a helper reads or writes lies
 * inside that memory; a bad pointer stops the program with an error instead of touching the host.
 */
#ifndef PQUIC_H
#define PQUIC_H

/* Fixed-width integer types, from clang's predefined macros (no libc headers on BPF). */
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __SIZE_TYPE__ size_t;

#ifndef NULL
#define NULL ((void *)0)
#endif

/* The type of protocol operation arguments and results (PQUIC's `protoop_arg_t`). */
typedef uint64_t protoop_arg_t;

/*
 * Current time in microseconds, as the host's clock sees it (PQUIC's picoquic_current_time).
 * Under a simulated clock this is the simulated time.
 */
uint64_t picoquic_current_time(void);

/*
 * Copies n bytes from src to dst and returns dst. Both ranges must lie inside the plugin's
 * memory; they may overlap (the copy behaves like memmove).
 */
void *my_memcpy(void *dst, const void *src, uint64_t n);

/* Sets n bytes at dst to the low byte of c and returns dst. The range must lie in plugin memory. */
void *my_memset(void *dst, int c, uint64_t n);

/*
 * Length of the NUL-terminated string at s, without the NUL. The whole string including its
 * NUL must lie in plugin memory.
 */
uint64_t strlen(const char *s);

/*
 * Compares n bytes at a and b as unsigned bytes: < 0, 0 or > 0 like libc's memcmp.
 * Both ranges must lie in plugin memory.
 */
int memcmp(const void *a, const void *b, uint64_t n);

/*
 * Formats one log line and hands it to the host's logger; returns the number of characters
 * produced. fmt is a NUL-terminated string in plugin memory; a, b, c, d are the values its
 * conversions consume, in order (at most 4, pass 0 for unused ones).
 *
 * Conversions: %d %i (signed decimal), %u (unsigned decimal), %x (lower-case hexadecimal),
 * %s (the NUL-terminated string in plugin memory at that address), %c (one character) and %%
 * (a percent sign); the host also accepts %X and %p, and a field width such as %08x.
 * Every value is a full 64-bit register: the l and ll length modifiers (%ld %lld %lu %llu %lx
 * %llx) are accepted and change nothing. So pass signed values sign-extended, e.g.
 * (uint64_t)(int64_t)x for an int x: an unsigned int 0xFFFFFFFB prints as 4294967291 with %d.
 */
int pquic_log(const char *fmt, uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/* ------------------------------------------------------------------------------------------
 * The connection API (PQUIC's helper names and argument order; reference/pquic.md §4).
 *
 * Core objects are opaque handles, never pointers: a pluglet receives the connection handle in
 * r1 (its only parameter) and gets other handles (paths) from getters. Dereferencing a handle
 * faults. Every pointer a helper takes must lie inside the plugin's own memory, with its length.
 * Helpers bill the pluglet's instruction budget for their own work: about one instruction per 8
 * bytes they copy or compare, and 256 for running a core operation (plugin_run_protoop,
 * recover_packet). A pluglet cannot make the host work beyond its budget.
 * ------------------------------------------------------------------------------------------ */

typedef struct picoquic_cnx_t picoquic_cnx_t;
typedef struct picoquic_path_t picoquic_path_t;
typedef uint16_t access_key_t;

/* Access keys of the connection (PQUIC's AK_CNX_* numbering). */
#define AK_CNX_INPUT 0x00                 /* param: input index of the running protoop */
#define AK_CNX_OUTPUT 0x01                /* param: output index (set_cnx writes outputs) */
#define AK_CNX_CLIENT_MODE 0x06
#define AK_CNX_STATE 0x0e                 /* 0 attempted, 1 handshake, 2 connected, 3 closing, 4 draining, 5 closed */
#define AK_CNX_START_TIME 0x10            /* microseconds */
#define AK_CNX_NB_RETRANSMISSION_TOTAL 0x1c
#define AK_CNX_DATA_SENT 0x24             /* bytes of UDP payload */
#define AK_CNX_DATA_RECEIVED 0x25
#define AK_CNX_MAXDATA_LOCAL 0x26
#define AK_CNX_NB_PATHS 0x2d
#define AK_CNX_PATH 0x2e                  /* param: path index; returns a path handle */
#define AK_CNX_RETURN_VALUE 0x34          /* in a post observer: what the operation returned */
#define AK_CNX_INITIAL_CID 0x0f           /* the original Destination Connection ID; a cnxid handle */
#define AK_CNX_FIRST_STREAM 0x38          /* the open stream with the lowest id; a stream handle, or NULL */
#define AK_CNX_HANDSHAKE_DONE 0x3d
#define AK_CNX_PACKETS_SENT 0x80          /* ours */
#define AK_CNX_PACKETS_RECEIVED 0x81      /* ours */

/* Access keys of a path (PQUIC's AK_PATH_* numbering). Times in microseconds. */
#define AK_PATH_MAX_ACK_DELAY 0x0d
#define AK_PATH_SMOOTHED_RTT 0x0e
#define AK_PATH_RTT_VARIANT 0x0f
#define AK_PATH_RTT_MIN 0x11
#define AK_PATH_SEND_MTU 0x15
#define AK_PATH_CWIN 0x17                 /* the only writable path key */
#define AK_PATH_BYTES_IN_TRANSIT 0x18
#define AK_PATH_NB_PKT_SENT 0x22
#define AK_PATH_RTT_SAMPLE 0x26
#define AK_PATH_PKT_CTX 0x21              /* param: packet number space; returns a pkt_ctx handle */
#define AK_PATH_LOCAL_CID 0x1e            /* our current connection ID; a cnxid handle */
#define AK_PATH_REMOTE_CID 0x1f           /* the peer's connection ID we send to; a cnxid handle */

/* Access keys of a packet number space (PQUIC's AK_PKTCTX_*, and ours from 0x80). */
#define AK_PKTCTX_SEND_SEQUENCE 0x00      /* next packet number to send */
#define AK_PKTCTX_FIRST_SACK_ITEM 0x01    /* the highest range of received packet numbers; a sack item handle, or NULL */
#define AK_PKTCTX_TIME_STAMP_LARGEST_RECEIVED 0x02
#define AK_PKTCTX_HIGHEST_ACKNOWLEDGED 0x08
#define AK_PKTCTX_ACK_ELICITING_SINCE_ACK 0x80 /* ack-eliciting packets received since our last ACK */
#define AK_PKTCTX_ACK_DEADLINE 0x81       /* when an ACK is due (microseconds), 0 when none */
#define AK_PKTCTX_LARGEST_RECEIVED 0x82

/* Packet number spaces, as protoops such as is_ack_needed and update_ack_delay receive them. */
#define PQUIC_SPACE_INITIAL 0
#define PQUIC_SPACE_HANDSHAKE 1
#define PQUIC_SPACE_APPLICATION 2

protoop_arg_t get_cnx(picoquic_cnx_t *cnx, access_key_t ak, uint16_t param);
/* Only AK_CNX_OUTPUT is writable; other keys fail the plugin. */
void set_cnx(picoquic_cnx_t *cnx, access_key_t ak, uint16_t param, protoop_arg_t val);
/* Ten slots per plugin and connection, initially 0. */
protoop_arg_t get_cnx_metadata(picoquic_cnx_t *cnx, int idx);
void set_cnx_metadata(picoquic_cnx_t *cnx, int idx, protoop_arg_t val);
protoop_arg_t get_path(picoquic_path_t *path, access_key_t ak, uint16_t param);
void set_path(picoquic_path_t *path, access_key_t ak, uint16_t param, protoop_arg_t val);
typedef struct picoquic_packet_context_t picoquic_packet_context_t;
protoop_arg_t get_pkt_ctx(picoquic_packet_context_t *pkt_ctx, access_key_t ak);
protoop_arg_t get_path_metadata(picoquic_cnx_t *cnx, picoquic_path_t *path, int idx);
void set_path_metadata(picoquic_cnx_t *cnx, picoquic_path_t *path, int idx, protoop_arg_t val);
/* Ten slots per plugin and packet number space. */
protoop_arg_t get_pkt_ctx_metadata(picoquic_cnx_t *cnx, picoquic_packet_context_t *pkt_ctx, int idx);
void set_pkt_ctx_metadata(picoquic_cnx_t *cnx, picoquic_packet_context_t *pkt_ctx, int idx, protoop_arg_t val);

/*
 * Handles valid during one protoop call: packets (packet_was_lost and fast_retransmit receive
 * one as input 0), packet headers (header_parsed's input 0), connection IDs (from getters).
 * Stream handles (AK_CNX_FIRST_STREAM, AK_STREAMHEAD_NEXT_STREAM) and sack items stay valid
 * while their stream or range exists. The setters of these objects exist under PQUIC's names
 * and fail the plugin for every key: they are the core's records of what was sent and received.
 */
typedef struct picoquic_packet_t picoquic_packet_t;
typedef struct picoquic_packet_header picoquic_packet_header;
typedef struct picoquic_connection_id_t picoquic_connection_id_t;
typedef struct picoquic_stream_head picoquic_stream_head;
typedef struct picoquic_sack_item_t picoquic_sack_item_t;

/* A packet we sent (PQUIC's AK_PKT_*). Packet types: 2 Initial, 4 Handshake, 6 1-RTT (picoquic's). */
#define AK_PKT_SEND_PATH 0x02             /* a path handle */
#define AK_PKT_SEQUENCE_NUMBER 0x03
#define AK_PKT_SEND_TIME 0x04             /* microseconds */
#define AK_PKT_LENGTH 0x05                /* bytes of UDP payload */
#define AK_PKT_TYPE 0x08
#define AK_PKT_CONTEXT 0x09               /* a pkt_ctx handle */
#define AK_PKT_IS_PURE_ACK 0x0b           /* 1 when not ack-eliciting */
#define AK_PKT_CONTAINS_CRYPTO 0x0c
#define AK_PKT_IS_CONGESTION_CONTROLLED 0x0d /* counted in bytes in flight */
#define AK_PKT_HAS_HANDSHAKE_DONE 0x15
protoop_arg_t get_pkt(picoquic_packet_t *pkt, access_key_t ak);
void set_pkt(picoquic_packet_t *pkt, access_key_t ak, protoop_arg_t val);
/* Ten slots per plugin and sent packet, 0 until set. */
protoop_arg_t get_pkt_metadata(picoquic_cnx_t *cnx, picoquic_packet_t *pkt, int idx);
void set_pkt_metadata(picoquic_cnx_t *cnx, picoquic_packet_t *pkt, int idx, protoop_arg_t val);

/* A received packet's header (PQUIC's AK_PH_*). Epochs: 0 Initial, 1 0-RTT, 2 Handshake, 3 1-RTT. */
#define AK_PH_DESTINATION_CNXID 0x00      /* a cnxid handle */
#define AK_PH_OFFSET 0x01                 /* where the packet number starts, from the packet's first byte */
#define AK_PH_PAYLOAD_LENGTH 0x02         /* packet number and protected payload */
#define AK_PH_SEQUENCE_NUMBER 0x03
#define AK_PH_EPOCH 0x04
#define AK_PH_PTYPE 0x05                  /* as AK_PKT_TYPE */
#define AK_PH_PC 0x06                     /* packet number space, as PQUIC_SPACE_* */
protoop_arg_t get_ph(picoquic_packet_header *ph, access_key_t ak);
void set_ph(picoquic_packet_header *ph, access_key_t ak, protoop_arg_t val);

/* A connection ID. AK_CNXID_ID (a pointer in PQUIC) fails: copy the bytes with pquic_cnxid_copy. */
#define AK_CNXID_ID 0x00
#define AK_CNXID_LEN 0x01
protoop_arg_t get_cnxid(picoquic_connection_id_t *cnxid, access_key_t ak);
void set_cnxid(picoquic_connection_id_t *cnxid, access_key_t ak, protoop_arg_t val);
/* Copies at most max bytes of the ID into buf; returns the ID's length. */
size_t pquic_cnxid_copy(picoquic_connection_id_t *cnxid, uint8_t *buf, size_t max);

/* A stream (PQUIC's AK_STREAMHEAD_*). Offsets in bytes; flags 0 or 1. */
#define AK_STREAMHEAD_CONSUMED_OFFSET 0x01 /* bytes the application consumed */
#define AK_STREAMHEAD_NEXT_STREAM 0x02     /* the open stream with the next higher id, or NULL */
#define AK_STREAMHEAD_STREAM_ID 0x03
#define AK_STREAMHEAD_MAX_DATA_REMOTE 0x04 /* the peer's limit on what we send */
#define AK_STREAMHEAD_SENT_OFFSET 0x05     /* the highest offset sent */
#define AK_STREAMHEAD_SENDING_OFFSET 0x07  /* the end of what the application wrote */
#define AK_STREAMHEAD_MAX_DATA_LOCAL 0x08  /* the limit we advertise */
#define AK_STREAMHEAD_FLAGS_FIN_REQUESTED 0x09
#define AK_STREAMHEAD_FLAGS_FIN_SENT 0x0a
#define AK_STREAMHEAD_FLAGS_FIN_RECEIVED 0x0b
#define AK_STREAMHEAD_FLAGS_FIN_SIGNALLED 0x0c
#define AK_STREAMHEAD_FLAGS_RESET_REQUESTED 0x0d
#define AK_STREAMHEAD_FLAGS_RESET_SENT 0x0e
#define AK_STREAMHEAD_FLAGS_RESET_RECEIVED 0x0f
#define AK_STREAMHEAD_FLAGS_RESET_SIGNALLED 0x10
#define AK_STREAMHEAD_FLAGS_STOP_SENDING_REQUESTED 0x11
#define AK_STREAMHEAD_FLAGS_STOP_SENDING_RECEIVED 0x13
protoop_arg_t get_stream_head(picoquic_stream_head *stream_head, access_key_t ak);
void set_stream_head(picoquic_stream_head *stream_head, access_key_t ak, protoop_arg_t val);

/* A range of received packet numbers, highest first (PQUIC's AK_SACKITEM_*). */
#define AK_SACKITEM_NEXT_SACK 0x00         /* the next lower range, or NULL */
#define AK_SACKITEM_START_RANGE 0x01       /* its lowest packet number */
#define AK_SACKITEM_END_RANGE 0x02         /* its highest packet number */
protoop_arg_t get_sack_item(picoquic_sack_item_t *sack_item, access_key_t ak);
void set_sack_item(picoquic_sack_item_t *sack_item, access_key_t ak, protoop_arg_t val);
/* The packet context setter refuses every key too (the ACK machinery owns those fields). */
void set_pkt_ctx(picoquic_packet_context_t *pkt_ctx, access_key_t ak, protoop_arg_t val);

/* The plugin's heap on this connection. NULL when full. */
void *my_malloc(picoquic_cnx_t *cnx, unsigned int size);
void my_free(picoquic_cnx_t *cnx, void *ptr);
void *my_realloc(picoquic_cnx_t *cnx, void *ptr, unsigned int size);
int my_memcmp(const void *a, const void *b, uint64_t n);

/* QUIC variable-length integers (RFC 9000 §16): bytes written or read, 0 when it does not fit. */
size_t picoquic_varint_encode(uint8_t *bytes, size_t max, uint64_t n);
size_t picoquic_varint_decode(const uint8_t *bytes, size_t max, uint64_t *n);

/*
 * Forward erasure correction support. recover_packet hands the frames of a 1-RTT packet rebuilt
 * from repair symbols to the connection, which processes them as if received. packet_recovered
 * tells the sender that the peer rebuilt its packet pn: its frames count as delivered and are
 * not retransmitted; returns 1 when the packet was still in flight.
 */
int recover_packet(picoquic_cnx_t *cnx, const uint8_t *payload, size_t len);
int packet_recovered(picoquic_cnx_t *cnx, uint64_t pn);

/*
 * Sends the application a message (a copy of len bytes, at most 65536): it reaches the
 * runtime's onMessage callback and the instance's queue (takeMessages). Returns 0, or -1 when
 * 256 messages are already waiting. This replaces PQUIC plugins' sockets.
 */
int pquic_message_send(picoquic_cnx_t *cnx, const void *data, size_t len);

/* Names a frame type of this plugin in qlog (PQUIC's log_frame, reduced to a name). */
void pquic_frame_name(picoquic_cnx_t *cnx, uint64_t frame_type, const char *name);

/* "No parameter" (PQUIC's NO_PARAM). */
#define NO_PARAM 0xffff

/*
 * Runs protocol operation `name` (with `param`, or NO_PARAM) with inputc inputs and returns its
 * result: core operations and those plugins define. Running an operation that is already
 * running fails the calling plugin (PQUIC exited the process).
 */
protoop_arg_t plugin_run_protoop(picoquic_cnx_t *cnx, const char *name, uint16_t param, uint64_t inputc, const uint64_t *inputv);

/* A frame to be written later by write_frame[frame_type] (PQUIC's reserve_frames flow). */
typedef struct reserve_frame_slot {
    uint64_t frame_type;
    uint64_t nb_bytes;               /* room the frame needs, at most */
    uint64_t congestion_controlled;  /* 1: counts against the congestion window */
    uint64_t frame_ctx;              /* handed to write_frame and notify_frame */
} reserve_frame_slot_t;

/* Queues nb_frames frames; returns the bytes reserved. */
size_t reserve_frames(picoquic_cnx_t *cnx, uint8_t nb_frames, reserve_frame_slot_t *slots);

/*
 * Writes a qlog event `pquic:<name>` on the connection: `keys` is a comma-separated list of
 * field names, `values` an array with one u64 per key. Returns 0, or -1 without qlog.
 */
int pquic_qlog_values(picoquic_cnx_t *cnx, const char *name, const char *keys, const uint64_t *values);

#define get_input(cnx, i) get_cnx((cnx), AK_CNX_INPUT, (i))

#endif /* PQUIC_H */

