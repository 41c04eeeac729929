/**
 * Read access to the core's objects for the connection API's getters (PQUIC's get_pkt,
 * get_ph, get_cnxid, get_stream_head, get_sack_item; reference/pquic.md §4.3). A pluglet never
 * holds these objects: it holds an opaque handle (abi.ts) and names a field by its access key;
 * this module maps (object, key) to a u64. Unknown keys fail the calling plugin with a message
 * naming the key, as every helper fault does.
 *
 * Numbering where PQUIC's picoquic has an enum: packet types follow picoquic_packet_type_enum,
 * epochs follow picoquic_epoch_enum. Packet number spaces are ours everywhere in this API
 * (0 Initial, 1 Handshake, 2 Application, as PQUIC_SPACE_* and pkt_ctx handles): AK_PH_PC and
 * AK_PKT_CONTEXT agree with AK_PATH_PKT_CTX.
 */
import type { QuicConnection } from '../quic/connection/connection.js';
import type { SentFrame } from '../quic/connection/types.js';
import type { SentPacket } from '../quic/recovery/sent-packets.js';
import type { PacketHeader } from '../quic/wire/header.js';
import { HelperFault } from '../vm/errors.js';
import {
  AK_CNXID_ID, AK_CNXID_LEN, AK_PH_DESTINATION_CNXID, AK_PH_EPOCH, AK_PH_OFFSET, AK_PH_PAYLOAD_LENGTH, AK_PH_PC,
  AK_PH_PTYPE, AK_PH_SEQUENCE_NUMBER, AK_PKT_CONTAINS_CRYPTO, AK_PKT_CONTEXT, AK_PKT_HAS_HANDSHAKE_DONE,
  AK_PKT_IS_CONGESTION_CONTROLLED, AK_PKT_IS_PURE_ACK, AK_PKT_LENGTH, AK_PKT_SEND_PATH, AK_PKT_SEND_TIME,
  AK_PKT_SEQUENCE_NUMBER, AK_PKT_TYPE, AK_SACKITEM_END_RANGE, AK_SACKITEM_NEXT_SACK, AK_SACKITEM_START_RANGE,
  AK_STREAMHEAD_CONSUMED_OFFSET, AK_STREAMHEAD_FLAGS_FIN_RECEIVED, AK_STREAMHEAD_FLAGS_FIN_REQUESTED,
  AK_STREAMHEAD_FLAGS_FIN_SENT, AK_STREAMHEAD_FLAGS_FIN_SIGNALLED, AK_STREAMHEAD_FLAGS_RESET_RECEIVED,
  AK_STREAMHEAD_FLAGS_RESET_REQUESTED, AK_STREAMHEAD_FLAGS_RESET_SENT, AK_STREAMHEAD_FLAGS_RESET_SIGNALLED,
  AK_STREAMHEAD_FLAGS_STOP_SENDING_RECEIVED, AK_STREAMHEAD_FLAGS_STOP_SENDING_REQUESTED, AK_STREAMHEAD_MAX_DATA_LOCAL,
  AK_STREAMHEAD_MAX_DATA_REMOTE, AK_STREAMHEAD_NEXT_STREAM, AK_STREAMHEAD_SENDING_OFFSET, AK_STREAMHEAD_SENT_OFFSET,
  AK_STREAMHEAD_STREAM_ID, HANDLE_PKT_CTX, HANDLE_SACK, HANDLE_STREAM, makeHandle, PATH0_HANDLE,
} from './abi.js';

/** A core object a pluglet may hold a handle to during one call. */
export type HostObject =
  | { kind: 'pkt'; pkt: SentPacket; space: number }
  | { kind: 'ph'; header: PacketHeader; pn: number; space: number }
  | { kind: 'cnxid'; cid: Uint8Array }
  /** Anything else a protoop passes (a frame writer, a frame list): opaque, no getter reads it. */
  | { kind: 'opaque'; value: unknown };

export const KIND_NAMES: Readonly<Record<HostObject['kind'], string>> = {
  pkt: 'packet', ph: 'packet header', cnxid: 'connection ID', opaque: 'core object',
};

/** picoquic_packet_type_enum values of our packet types. */
const PTYPE: Readonly<Record<string, number>> = {
  version_negotiation: 1, initial: 2, retry: 3, handshake: 4, '0RTT': 5, '1RTT': 6,
};
/** The packet type a space's packets are sent with (1-RTT for Application Data). */
const SPACE_PTYPE = [2, 4, 6];
/** picoquic_epoch_enum: 0 Initial, 1 0-RTT, 2 Handshake, 3 1-RTT. */
const EPOCH: Readonly<Record<string, number>> = { initial: 0, '0RTT': 1, handshake: 2, '1RTT': 3 };

const b = (v: boolean): number => (v ? 1 : 0);

export function getPkt(o: Extract<HostObject, { kind: 'pkt' }>, ak: number): number {
  const p = o.pkt;
  const has = (k: SentFrame['k']): boolean => (p.frames as SentFrame[]).some((f) => f.k === k);
  switch (ak) {
    case AK_PKT_SEND_PATH: return PATH0_HANDLE;
    case AK_PKT_SEQUENCE_NUMBER: return p.pn;
    case AK_PKT_SEND_TIME: return Math.round(p.timeSent);
    case AK_PKT_LENGTH: return p.size;
    case AK_PKT_TYPE: return SPACE_PTYPE[o.space] ?? 0;
    case AK_PKT_CONTEXT: return makeHandle(HANDLE_PKT_CTX, o.space);
    case AK_PKT_IS_PURE_ACK: return b(!p.ackEliciting);
    case AK_PKT_CONTAINS_CRYPTO: return b(has('crypto'));
    case AK_PKT_IS_CONGESTION_CONTROLLED: return b(p.inFlight);
    case AK_PKT_HAS_HANDSHAKE_DONE: return b(has('handshake_done'));
    default:
      throw new HelperFault(`get_pkt: unknown key 0x${ak.toString(16)}`);
  }
}

/** get_ph. `cidHandle` turns the DCID into a handle valid for the current call. */
export function getPh(o: Extract<HostObject, { kind: 'ph' }>, ak: number, cidHandle: (cid: Uint8Array) => number): number {
  const h = o.header;
  switch (ak) {
    case AK_PH_DESTINATION_CNXID: return cidHandle(h.dcid);
    // Offset of the packet number from the packet's first byte (picoquic's ph.offset is where
    // the header ends; the packet number is its last field).
    case AK_PH_OFFSET: return 'pnOffset' in h ? h.pnOffset - h.packetStart : 0;
    case AK_PH_PAYLOAD_LENGTH: return 'pnOffset' in h ? h.payloadEnd - h.pnOffset : 0;
    case AK_PH_SEQUENCE_NUMBER: return o.pn;
    case AK_PH_EPOCH: return EPOCH[h.type] ?? 0;
    case AK_PH_PTYPE: return PTYPE[h.type] ?? 0;
    case AK_PH_PC: return o.space;
    default:
      throw new HelperFault(`get_ph: unknown key 0x${ak.toString(16)}`);
  }
}

export function getCnxid(o: Extract<HostObject, { kind: 'cnxid' }>, ak: number): number {
  switch (ak) {
    case AK_CNXID_LEN: return o.cid.length;
    case AK_CNXID_ID:
      // PQUIC returns a pointer into the host here; our plugins copy the bytes instead.
      throw new HelperFault('get_cnxid: AK_CNXID_ID would be a host pointer; copy the bytes with pquic_cnxid_copy');
    default:
      throw new HelperFault(`get_cnxid: unknown key 0x${ak.toString(16)}`);
  }
}

/** The handle of a stream, or 0 (NULL) for none. */
export function streamHandle(id: number | undefined): number {
  if (id === undefined) return 0;
  if (id >= 2 ** 40) throw new HelperFault(`stream ${id} has no handle (ids above 2^40)`);
  return makeHandle(HANDLE_STREAM, id);
}

export function getStreamHead(cnx: QuicConnection, id: number, ak: number): number {
  const s = cnx.streams.streamView(id);
  if (!s) throw new HelperFault(`get_stream_head: stream ${id} is closed`);
  const send = s.send;
  const recv = s.recv;
  switch (ak) {
    case AK_STREAMHEAD_STREAM_ID: return id;
    case AK_STREAMHEAD_NEXT_STREAM: return streamHandle(cnx.streams.nextStreamId(id));
    case AK_STREAMHEAD_CONSUMED_OFFSET: return recv?.consumed ?? 0;
    case AK_STREAMHEAD_MAX_DATA_REMOTE: return send?.credit.limit ?? 0;
    case AK_STREAMHEAD_SENT_OFFSET: return send?.sentOffset ?? 0;
    case AK_STREAMHEAD_SENDING_OFFSET: return send?.writeOffset ?? 0;
    case AK_STREAMHEAD_MAX_DATA_LOCAL: return recv?.window.limit ?? 0;
    case AK_STREAMHEAD_FLAGS_FIN_REQUESTED: return b(send?.finalSize !== undefined && !send.isReset);
    case AK_STREAMHEAD_FLAGS_FIN_SENT: return b(send?.state === 'DataSent' || send?.state === 'DataRecvd');
    case AK_STREAMHEAD_FLAGS_FIN_RECEIVED: return b(recv !== undefined && recv.finalSize !== undefined && recv.resetCode === undefined);
    case AK_STREAMHEAD_FLAGS_FIN_SIGNALLED: return b(recv?.state === 'DataRead');
    case AK_STREAMHEAD_FLAGS_RESET_REQUESTED: return b(send?.isReset === true);
    case AK_STREAMHEAD_FLAGS_RESET_SENT: return b(send?.state === 'ResetSent' || send?.state === 'ResetRecvd');
    case AK_STREAMHEAD_FLAGS_RESET_RECEIVED: return b(recv?.resetCode !== undefined);
    case AK_STREAMHEAD_FLAGS_RESET_SIGNALLED: return b(recv?.state === 'ResetRead');
    case AK_STREAMHEAD_FLAGS_STOP_SENDING_REQUESTED: return b(recv?.stopSendingCode !== undefined);
    case AK_STREAMHEAD_FLAGS_STOP_SENDING_RECEIVED: return b(send?.stopSendingCode !== undefined);
    default:
      throw new HelperFault(`get_stream_head: unknown key 0x${ak.toString(16)}`);
  }
}

/** The handle of the rank-th highest range of received packet numbers of a space, or 0. */
export function sackHandle(cnx: QuicConnection, space: number, rank: number): number {
  return rank < cnx.spaces[space as 0 | 1 | 2].ack.rangeCount ? makeHandle(HANDLE_SACK, space * 2 ** 32 + rank) : 0;
}

export function getSackItem(cnx: QuicConnection, index: number, ak: number): number {
  const space = Math.floor(index / 2 ** 32);
  const rank = index % 2 ** 32;
  const range = space <= 2 ? cnx.spaces[space as 0 | 1 | 2].ack.rangeFromTop(rank) : undefined;
  if (!range) throw new HelperFault(`get_sack_item: range ${rank} of space ${space} is gone`);
  switch (ak) {
    case AK_SACKITEM_NEXT_SACK: return sackHandle(cnx, space, rank + 1);
    case AK_SACKITEM_START_RANGE: return range[0];
    case AK_SACKITEM_END_RANGE: return range[1];
    default:
      throw new HelperFault(`get_sack_item: unknown key 0x${ak.toString(16)}`);
  }
}
