/**
 * The plugin ABI: helper names and ids, access keys (AK_*) and handle encoding. Names, ids and
 * key numbers are PQUIC's (reference/pquic.md §4.2, §4.3) so its pluglets' sources keep their
 * meaning; plugins-c/include/pquic.h declares the same values for C.
 */

/** Helper ids: PQUIC's indices where the helper exists there, ours from 200 on. */
export const HELPER_IDS: ReadonlyMap<string, number> = new Map([
  ['plugin_run_protoop', 0],
  ['reserve_frames', 1],
  ['get_cnx', 2],
  ['set_cnx', 3],
  ['get_cnx_metadata', 4],
  ['set_cnx_metadata', 5],
  ['get_path', 6],
  ['set_path', 7],
  ['get_path_metadata', 8],
  ['set_path_metadata', 9],
  ['get_pkt_ctx', 10],
  ['set_pkt_ctx', 11],
  ['get_pkt_ctx_metadata', 12],
  ['set_pkt_ctx_metadata', 13],
  ['get_pkt', 14],
  ['set_pkt', 15],
  ['get_pkt_metadata', 16],
  ['set_pkt_metadata', 17],
  ['get_sack_item', 18],
  ['set_sack_item', 19],
  ['get_cnxid', 20],
  ['set_cnxid', 21],
  ['get_stream_head', 22],
  ['set_stream_head', 23],
  ['get_ph', 27],
  ['set_ph', 28],
  ['picoquic_current_time', 31],
  ['my_malloc', 32],
  ['my_free', 33],
  ['my_realloc', 34],
  ['my_memcpy', 35],
  ['my_memset', 36],
  ['strlen', 51],
  ['memcmp', 78],
  ['pquic_log', 200],
  ['my_memcmp', 201],
  ['picoquic_varint_decode', 202],
  ['picoquic_varint_encode', 203],
  ['pquic_qlog_values', 204],
  ['recover_packet', 205],
  ['packet_recovered', 206],
  ['pquic_frame_name', 207],
  ['pquic_cnxid_copy', 208],
  ['pquic_message_send', 209],
]);

// Access keys of the connection (AK_CNX_*).
export const AK_CNX_INPUT = 0x00;
export const AK_CNX_OUTPUT = 0x01;
export const AK_CNX_CLIENT_MODE = 0x06;
export const AK_CNX_STATE = 0x0e;
export const AK_CNX_START_TIME = 0x10;
export const AK_CNX_NB_RETRANSMISSION_TOTAL = 0x1c;
export const AK_CNX_DATA_SENT = 0x24;
export const AK_CNX_DATA_RECEIVED = 0x25;
export const AK_CNX_MAXDATA_LOCAL = 0x26;
export const AK_CNX_MAXDATA_REMOTE = 0x27;
export const AK_CNX_INITIAL_CID = 0x0f;
export const AK_CNX_NB_PATHS = 0x2d;
export const AK_CNX_PATH = 0x2e;
export const AK_CNX_RETURN_VALUE = 0x34;
export const AK_CNX_FIRST_STREAM = 0x38;
export const AK_CNX_HANDSHAKE_DONE = 0x3d;
// Ours, beyond PQUIC's numbering.
export const AK_CNX_PACKETS_SENT = 0x80;
export const AK_CNX_PACKETS_RECEIVED = 0x81;

// Access keys of a path (AK_PATH_*).
export const AK_PATH_MAX_ACK_DELAY = 0x0d;
export const AK_PATH_SMOOTHED_RTT = 0x0e;
export const AK_PATH_RTT_VARIANT = 0x0f;
export const AK_PATH_RTT_MIN = 0x11;
export const AK_PATH_SEND_MTU = 0x15;
export const AK_PATH_CWIN = 0x17;
export const AK_PATH_BYTES_IN_TRANSIT = 0x18;
export const AK_PATH_NB_PKT_SENT = 0x22;
export const AK_PATH_RTT_SAMPLE = 0x26;
export const AK_PATH_PKT_CTX = 0x21;
export const AK_PATH_LOCAL_CID = 0x1e;
export const AK_PATH_REMOTE_CID = 0x1f;

// Access keys of a packet number space (AK_PKTCTX_*).
export const AK_PKTCTX_SEND_SEQUENCE = 0x00;
export const AK_PKTCTX_TIME_STAMP_LARGEST_RECEIVED = 0x02;
export const AK_PKTCTX_FIRST_SACK_ITEM = 0x01;
export const AK_PKTCTX_HIGHEST_ACKNOWLEDGED = 0x08;
export const AK_PKTCTX_ACK_ELICITING_SINCE_ACK = 0x80;
export const AK_PKTCTX_ACK_DEADLINE = 0x81;
export const AK_PKTCTX_LARGEST_RECEIVED = 0x82;

// Access keys of a sent packet (AK_PKT_*).
export const AK_PKT_SEND_PATH = 0x02;
export const AK_PKT_SEQUENCE_NUMBER = 0x03;
export const AK_PKT_SEND_TIME = 0x04;
export const AK_PKT_LENGTH = 0x05;
export const AK_PKT_TYPE = 0x08;
export const AK_PKT_CONTEXT = 0x09;
export const AK_PKT_IS_PURE_ACK = 0x0b;
export const AK_PKT_CONTAINS_CRYPTO = 0x0c;
export const AK_PKT_IS_CONGESTION_CONTROLLED = 0x0d;
export const AK_PKT_HAS_HANDSHAKE_DONE = 0x15;

// Access keys of a range of received packet numbers (AK_SACKITEM_*).
export const AK_SACKITEM_NEXT_SACK = 0x00;
export const AK_SACKITEM_START_RANGE = 0x01;
export const AK_SACKITEM_END_RANGE = 0x02;

// Access keys of a connection ID (AK_CNXID_*).
export const AK_CNXID_ID = 0x00;
export const AK_CNXID_LEN = 0x01;

// Access keys of a stream (AK_STREAMHEAD_*).
export const AK_STREAMHEAD_CONSUMED_OFFSET = 0x01;
export const AK_STREAMHEAD_NEXT_STREAM = 0x02;
export const AK_STREAMHEAD_STREAM_ID = 0x03;
export const AK_STREAMHEAD_MAX_DATA_REMOTE = 0x04;
export const AK_STREAMHEAD_SENT_OFFSET = 0x05;
export const AK_STREAMHEAD_SENDING_OFFSET = 0x07;
export const AK_STREAMHEAD_MAX_DATA_LOCAL = 0x08;
export const AK_STREAMHEAD_FLAGS_FIN_REQUESTED = 0x09;
export const AK_STREAMHEAD_FLAGS_FIN_SENT = 0x0a;
export const AK_STREAMHEAD_FLAGS_FIN_RECEIVED = 0x0b;
export const AK_STREAMHEAD_FLAGS_FIN_SIGNALLED = 0x0c;
export const AK_STREAMHEAD_FLAGS_RESET_REQUESTED = 0x0d;
export const AK_STREAMHEAD_FLAGS_RESET_SENT = 0x0e;
export const AK_STREAMHEAD_FLAGS_RESET_RECEIVED = 0x0f;
export const AK_STREAMHEAD_FLAGS_RESET_SIGNALLED = 0x10;
export const AK_STREAMHEAD_FLAGS_STOP_SENDING_REQUESTED = 0x11;
export const AK_STREAMHEAD_FLAGS_STOP_SENDING_RECEIVED = 0x13;

// Access keys of a received packet's header (AK_PH_*).
export const AK_PH_DESTINATION_CNXID = 0x00;
export const AK_PH_OFFSET = 0x01;
export const AK_PH_PAYLOAD_LENGTH = 0x02;
export const AK_PH_SEQUENCE_NUMBER = 0x03;
export const AK_PH_EPOCH = 0x04;
export const AK_PH_PTYPE = 0x05;
export const AK_PH_PC = 0x06;

/** Metadata slots per plugin and object (PQUIC's *_metadata). */
export const METADATA_SLOTS = 10;

/**
 * Handles: opaque 64-bit values for core objects. The tag sits at bit 40 and above, so a handle
 * is never inside any region of program memory (which lives below 2^32): dereferencing one
 * faults instead of reading host data.
 */
export const HANDLE_CNX = 1;
export const HANDLE_PATH = 2;
export const HANDLE_PKT_CTX = 3;
/** A stream: the index is its stream id. */
export const HANDLE_STREAM = 4;
/** A range of received packet numbers: index = space * 2^32 + rank from the highest. */
export const HANDLE_SACK = 5;
export const HANDLE_OBJECT = 0x7f;

export function makeHandle(tag: number, index: number): number {
  return tag * 2 ** 40 + index;
}

export function handleTag(h: number): number {
  return Math.floor(h / 2 ** 40);
}

export function handleIndex(h: number): number {
  return h % 2 ** 40;
}

export const CNX_HANDLE = makeHandle(HANDLE_CNX, 1);
export const PATH0_HANDLE = makeHandle(HANDLE_PATH, 0);
