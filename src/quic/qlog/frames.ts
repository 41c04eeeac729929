/**
 * qlog `$QuicFrame` and `PacketHeader` values (draft-ietf-quic-qlog-quic-events-03 §QUIC data
 * field definitions) built from the wire module's frames.
 *
 * Byte fields are hex-encoded (copies), so the result outlives the packet buffer. Stream and
 * crypto payloads are never logged, only their offsets and lengths.
 */

import type { Frame } from '../wire/frames/types.js';
import type { PacketType } from '../wire/header.js';
import { DEFAULT_ACK_DELAY_EXPONENT } from '../wire/transport-params.js';
import { frameTypeValue, hex, transportErrorValue, usToMs, utf8Text, versionHex } from './format.js';

/** A frame in qlog form: `frame_type` plus the draft's fields for that type. */
export interface QlogFrameRecord {
  frame_type: string;
  [field: string]: unknown;
}

/**
 * A frame the wire module does not know (one a plugin parses or writes): logged as qlog
 * `{ frame_type: 'unknown', raw_frame_type }`.
 */
export interface QlogUnknownFrameInput {
  type: string;
  /** The frame type code as sent. */
  frameType: number;
  /** Bytes of the whole frame, when known. */
  length?: number;
}

export type QlogFrameInput = Frame | QlogUnknownFrameInput;

export interface QlogFrameOptions {
  /**
   * The ack_delay_exponent of the ACK frame's sender, to turn the ACK Delay field into
   * milliseconds: the peer's for received ACKs, ours for sent ones. Default 3.
   */
  ackDelayExponent?: number;
}

/**
 * The qlog form of `frame`. For a list use `qlogFrames(frames, opts)` (TypeScript rejects
 * `frames.map(qlogFrame)`, whose index argument would land in `opts`; at run time a non-object
 * `opts` is ignored anyway).
 */
export function qlogFrame(frame: QlogFrameInput, opts?: QlogFrameOptions): QlogFrameRecord {
  const f = frame as Frame;
  switch (f.type) {
    case 'padding':
      return { frame_type: 'padding', payload_length: f.length };
    case 'ping':
      return { frame_type: 'ping' };
    case 'ack': {
      const exponent = typeof opts === 'object' && opts !== null && opts.ackDelayExponent !== undefined
        ? opts.ackDelayExponent : DEFAULT_ACK_DELAY_EXPONENT;
      const out: QlogFrameRecord = {
        frame_type: 'ack',
        ack_delay: usToMs(f.ackDelay * 2 ** exponent),
        acked_ranges: f.ranges.map((r) => [r[0], r[1]]),
      };
      if (f.ecn !== null) {
        out.ect0 = f.ecn.ect0;
        out.ect1 = f.ecn.ect1;
        out.ce = f.ecn.ecnCe;
      }
      return out;
    }
    case 'reset_stream':
      return {
        frame_type: 'reset_stream',
        stream_id: f.streamId,
        error_code: f.applicationProtocolErrorCode,
        final_size: f.finalSize,
      };
    case 'stop_sending':
      return { frame_type: 'stop_sending', stream_id: f.streamId, error_code: f.applicationProtocolErrorCode };
    case 'crypto':
      return { frame_type: 'crypto', offset: f.offset, length: f.data.length };
    case 'new_token':
      return { frame_type: 'new_token', token: { length: f.token.length, data: hex(f.token) } };
    case 'stream': {
      const out: QlogFrameRecord = { frame_type: 'stream', stream_id: f.streamId, offset: f.offset, length: f.data.length };
      if (f.fin) out.fin = true;
      return out;
    }
    case 'max_data':
      return { frame_type: 'max_data', maximum: f.maximumData };
    case 'max_stream_data':
      return { frame_type: 'max_stream_data', stream_id: f.streamId, maximum: f.maximumStreamData };
    case 'max_streams':
      return { frame_type: 'max_streams', stream_type: streamType(f.bidirectional), maximum: f.maximumStreams };
    case 'data_blocked':
      return { frame_type: 'data_blocked', limit: f.maximumData };
    case 'stream_data_blocked':
      return { frame_type: 'stream_data_blocked', stream_id: f.streamId, limit: f.maximumStreamData };
    case 'streams_blocked':
      return { frame_type: 'streams_blocked', stream_type: streamType(f.bidirectional), limit: f.maximumStreams };
    case 'new_connection_id':
      return {
        frame_type: 'new_connection_id',
        sequence_number: f.sequenceNumber,
        retire_prior_to: f.retirePriorTo,
        connection_id_length: f.connectionId.length,
        connection_id: hex(f.connectionId),
        stateless_reset_token: hex(f.statelessResetToken),
      };
    case 'retire_connection_id':
      return { frame_type: 'retire_connection_id', sequence_number: f.sequenceNumber };
    case 'path_challenge':
      return { frame_type: 'path_challenge', data: hex(f.data) };
    case 'path_response':
      return { frame_type: 'path_response', data: hex(f.data) };
    case 'connection_close': {
      const out: QlogFrameRecord = f.isApplicationError
        ? { frame_type: 'connection_close', error_space: 'application', error_code: f.errorCode }
        : { frame_type: 'connection_close', error_space: 'transport', error_code: transportErrorValue(f.errorCode) };
      out.raw_error_code = f.errorCode;
      out.reason = utf8Text(f.reasonPhrase);
      // The Frame Type field is 0 when the triggering frame is unknown (RFC 9000 §19.19).
      if (!f.isApplicationError && f.frameType !== 0) out.trigger_frame_type = frameTypeValue(f.frameType);
      return out;
    }
    case 'handshake_done':
      return { frame_type: 'handshake_done' };
    default: {
      const u = frame as QlogUnknownFrameInput;
      const out: QlogFrameRecord = { frame_type: 'unknown', raw_frame_type: u.frameType };
      if (u.length !== undefined) out.raw_length = u.length;
      return out;
    }
  }
}

/**
 * The qlog form of a packet's frames. Entries that are already qlog records (they have a
 * `frame_type`, e.g. built by a plugin) are kept as they are.
 */
export function qlogFrames(
  frames: readonly (QlogFrameInput | QlogFrameRecord)[],
  opts?: QlogFrameOptions,
): QlogFrameRecord[] {
  const out = new Array<QlogFrameRecord>(frames.length);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    out[i] = 'frame_type' in f ? f : qlogFrame(f, opts);
  }
  return out;
}

function streamType(bidirectional: boolean): string {
  return bidirectional ? 'bidirectional' : 'unidirectional';
}

/** qlog PacketType: the wire module's names plus the kinds only qlog has. */
export type QlogPacketType = PacketType | 'stateless_reset' | 'unknown';

export interface PacketHeaderOptions {
  dcid?: Uint8Array;
  scid?: Uint8Array;
  /** Long headers only. */
  version?: number;
  /** 1-RTT only: the Key Phase bit, logged as `key_phase_bit` (not a draft field). */
  keyPhase?: number;
  /** Initial only: the Token field. */
  token?: Uint8Array;
  /** Long headers: the Length field (packet number + payload). */
  length?: number;
  /** The first byte's flag bits after header protection is removed. */
  flags?: number;
}

/**
 * A qlog PacketHeader. `pn` is left out when negative (Retry, Version Negotiation, or a packet
 * dropped before its number was decoded).
 */
export function packetHeader(type: QlogPacketType | (string & {}), pn: number, opts?: PacketHeaderOptions): Record<string, unknown> {
  const h: Record<string, unknown> = { packet_type: type };
  if (pn >= 0) h.packet_number = pn;
  if (opts === undefined) return h;
  if (opts.flags !== undefined) h.flags = opts.flags;
  if (opts.token !== undefined) h.token = { length: opts.token.length, data: hex(opts.token) };
  if (opts.length !== undefined) h.length = opts.length;
  if (opts.version !== undefined) h.version = versionHex(opts.version);
  if (opts.scid !== undefined) {
    h.scil = opts.scid.length;
    h.scid = hex(opts.scid);
  }
  if (opts.dcid !== undefined) {
    h.dcil = opts.dcid.length;
    h.dcid = hex(opts.dcid);
  }
  if (opts.keyPhase !== undefined) h.key_phase_bit = opts.keyPhase;
  return h;
}
