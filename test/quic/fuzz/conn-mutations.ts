/**
 * Mutations of a 1-RTT packet's plaintext (its frames) for the live-connection fuzzer.
 *
 * Crafted mutations put one frame that breaks a specific RFC 9000 rule first in the payload,
 * so the receiver's CONNECTION_CLOSE code is determined (`expected`). Random mutations (bit
 * flips, truncation, splices of valid frames, random frame types, huge offsets) only promise
 * some valid transport error code, or a connection that keeps working.
 */
import { Reader, Writer } from '../../../src/quic/wire/buffer.js';
import { concatBytes } from '../../../src/quic/wire/bytes.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { FRAME_PARSERS, type Frame, FrameType, readFrameType } from '../../../src/quic/wire/frames/index.js';
import { streamId } from '../../../src/quic/stream/stream-id.js';
import type { Prng } from '../wire/prng.js';
import { encodeFrame, framesByType } from './corpus.js';

/** The streams the connection fuzzer sets up before mutating, as the receiver sees them. */
export interface StreamSetup {
  /** Is the receiver (the side whose frame processing is fuzzed) the client? */
  victimIsClient: boolean;
  /** A bidirectional stream the sender opened; 1000 bytes delivered, no FIN. */
  senderBidi: number;
  /** A unidirectional stream the sender opened (receive-only for the victim), data delivered. */
  senderUni: number;
  /** A unidirectional stream the victim opened (send-only for it). */
  victimUni: number;
  /** Bytes delivered on senderBidi. */
  delivered: number;
}

export interface PayloadMutation {
  desc: string;
  /** The transport error code the receiver must close with, when the rule broken is known. */
  expected?: number;
  /** With `expected`: the type of the offending frame, which CONNECTION_CLOSE names (RFC 9000 §19.19). */
  frameType?: number;
  /** The new plaintext given the original frames and the room the packet has. */
  apply(original: Uint8Array, room: number): Uint8Array;
}

const E = TransportErrorCode;

function bytesOf(build: (w: Writer) => void): Uint8Array {
  const buf = new Uint8Array(64);
  const w = new Writer(buf);
  build(w);
  return buf.slice(0, w.position);
}

/** An 8-byte varint holding 2^60 + 1: past every stream-count limit (RFC 9000 §19.11, §19.14). */
const OVER_2_60 = Uint8Array.of(0xd0, 0, 0, 0, 0, 0, 0, 1);

/** The crafted frame goes first, then PADDING to at least the original length. */
function leading(frame: Uint8Array): (original: Uint8Array, room: number) => Uint8Array {
  return (original) => {
    const out = new Uint8Array(Math.max(frame.length, original.length));
    out.set(frame);
    return out;
  };
}

/** A frame cut short must be the last thing in the packet: PADDING first, then the frame. */
function trailing(frame: Uint8Array): (original: Uint8Array, room: number) => Uint8Array {
  return (original) => {
    const out = new Uint8Array(Math.max(frame.length, original.length));
    out.set(frame, out.length - frame.length);
    return out;
  };
}

interface Crafted {
  rule: string;
  expected: number;
  frame: Uint8Array;
  atEnd?: boolean;
}

/** Frames that break one rule each; the RFC 9000 section says which code the receiver owes. */
function craftedFrames(s: StreamSetup, rng: Prng): Crafted[] {
  const sender = s.victimIsClient ? 'server' : 'client';
  const victim = s.victimIsClient ? 'client' : 'server';
  const stream = (id: number, offset: number, data: Uint8Array, fin = false): Uint8Array =>
    encodeFrame({ type: 'stream', streamId: id, offset, data, fin, explicitLength: true });
  const unknownTypes = [0x1f, 0x20, 0x21, 0x22, 0x25, 0x2a, 0x2f, 0x3e, 0x4123, 0x3fff].filter((t) => !FRAME_PARSERS.has(t));
  const unsent = 2 ** 40 + rng.int(1000);
  const list: Crafted[] = [
    { rule: '§12.4 unknown frame type', expected: E.FRAME_ENCODING_ERROR,
      frame: bytesOf((w) => { w.varint(rng.pick(unknownTypes)); w.bytes(rng.bytes(rng.int(8))); }) },
    { rule: '§4.6 bidi stream beyond MAX_STREAMS', expected: E.STREAM_LIMIT_ERROR,
      frame: stream(streamId(2 ** 40 + rng.int(1000), sender, 'bidi'), 0, rng.bytes(4)) },
    { rule: '§4.6 uni stream beyond MAX_STREAMS', expected: E.STREAM_LIMIT_ERROR,
      frame: stream(streamId(1_000_000, sender, 'uni'), 0, rng.bytes(4)) },
    { rule: '§19.8 STREAM for a local stream not yet opened', expected: E.STREAM_STATE_ERROR,
      frame: stream(streamId(500 + rng.int(100), victim, 'bidi'), 0, rng.bytes(3)) },
    { rule: '§19.8 STREAM for an open send-only stream', expected: E.STREAM_STATE_ERROR, frame: stream(s.victimUni, 0, rng.bytes(3)) },
    { rule: '§19.4 RESET_STREAM for an open send-only stream', expected: E.STREAM_STATE_ERROR,
      frame: encodeFrame({ type: 'reset_stream', streamId: s.victimUni, applicationProtocolErrorCode: 1, finalSize: 0 }) },
    { rule: '§19.5 STOP_SENDING for an open receive-only stream', expected: E.STREAM_STATE_ERROR,
      frame: encodeFrame({ type: 'stop_sending', streamId: s.senderUni, applicationProtocolErrorCode: 7 }) },
    { rule: '§19.10 MAX_STREAM_DATA for an open receive-only stream', expected: E.STREAM_STATE_ERROR,
      frame: encodeFrame({ type: 'max_stream_data', streamId: s.senderUni, maximumStreamData: 1 << 20 }) },
    { rule: '§19.5 STOP_SENDING for a receive-only stream not yet opened', expected: E.STREAM_STATE_ERROR,
      frame: encodeFrame({ type: 'stop_sending', streamId: streamId(5 + rng.int(100), sender, 'uni'), applicationProtocolErrorCode: 7 }) },
    { rule: '§19.4 RESET_STREAM for a send-only stream not yet opened', expected: E.STREAM_STATE_ERROR,
      frame: encodeFrame({ type: 'reset_stream', streamId: streamId(5 + rng.int(100), victim, 'uni'), applicationProtocolErrorCode: 1, finalSize: 0 }) },
    { rule: '§4.1 STREAM data past the flow-control limit', expected: E.FLOW_CONTROL_ERROR,
      frame: stream(s.senderBidi, 2 ** 40 + rng.int(1 << 20), rng.bytes(10)) },
    { rule: '§19.8 STREAM offset + length past 2^62 - 1', expected: E.FRAME_ENCODING_ERROR,
      frame: concatBytes(Uint8Array.of(0x0e), bytesOf((w) => w.varint(s.senderBidi)), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xaa)) },
    { rule: '§4.5 RESET_STREAM final size below the data received', expected: E.FINAL_SIZE_ERROR,
      frame: encodeFrame({ type: 'reset_stream', streamId: s.senderBidi, applicationProtocolErrorCode: 0, finalSize: rng.int(s.delivered) }) },
    { rule: '§4.5 FIN below the data received', expected: E.FINAL_SIZE_ERROR,
      frame: stream(s.senderBidi, 0, rng.bytes(1 + rng.int(s.delivered - 1)), true) },
    { rule: '§13.1 ACK of a packet never sent', expected: E.PROTOCOL_VIOLATION,
      frame: encodeFrame({ type: 'ack', largestAcknowledged: unsent, ackDelay: 0, ranges: [[unsent - 5, unsent]], ecn: null }) },
    { rule: '§19.15 NEW_CONNECTION_ID retiring past its own sequence', expected: E.FRAME_ENCODING_ERROR,
      frame: concatBytes(Uint8Array.of(FrameType.NEW_CONNECTION_ID, 5, 6 + rng.int(10), 8), rng.bytes(8 + 16)) },
    { rule: '§19.15 NEW_CONNECTION_ID with a 21-byte connection ID', expected: E.FRAME_ENCODING_ERROR,
      frame: concatBytes(Uint8Array.of(FrameType.NEW_CONNECTION_ID, 9, 0, 21), rng.bytes(21 + 16)) },
    { rule: '§19.11 MAX_STREAMS past 2^60', expected: E.FRAME_ENCODING_ERROR,
      frame: concatBytes(Uint8Array.of(rng.pick([FrameType.MAX_STREAMS_BIDI, FrameType.MAX_STREAMS_UNI])), OVER_2_60) },
    { rule: '§19.14 STREAMS_BLOCKED past 2^60', expected: E.FRAME_ENCODING_ERROR,
      frame: concatBytes(Uint8Array.of(rng.pick([FrameType.STREAMS_BLOCKED_BIDI, FrameType.STREAMS_BLOCKED_UNI])), OVER_2_60) },
    { rule: '§19.16 RETIRE_CONNECTION_ID never issued', expected: E.PROTOCOL_VIOLATION,
      frame: encodeFrame({ type: 'retire_connection_id', sequenceNumber: 1000 + rng.int(1000) }) },
    { rule: '§7.5 CRYPTO data far past what TLS consumed', expected: E.CRYPTO_BUFFER_EXCEEDED,
      frame: encodeFrame({ type: 'crypto', offset: 2 ** 30 + rng.int(1000), data: rng.bytes(8) }) },
    { rule: '§19.8 STREAM length past the packet', expected: E.FRAME_ENCODING_ERROR, atEnd: true,
      frame: concatBytes(Uint8Array.of(0x0a), bytesOf((w) => { w.varint(s.senderBidi); w.varint(200 + rng.int(1000)); }), rng.bytes(3)) },
    { rule: '§12.4 frame cut short at the end of the packet', expected: E.FRAME_ENCODING_ERROR, atEnd: true,
      frame: Uint8Array.of(rng.pick([FrameType.MAX_STREAM_DATA, FrameType.RESET_STREAM, FrameType.NEW_CONNECTION_ID, FrameType.ACK, FrameType.PATH_CHALLENGE])) },
  ];
  if (s.victimIsClient) {
    list.push({ rule: '§19.7 NEW_TOKEN with an empty token', expected: E.FRAME_ENCODING_ERROR, frame: Uint8Array.of(FrameType.NEW_TOKEN, 0) });
  } else {
    list.push(
      { rule: '§19.20 HANDSHAKE_DONE sent by a client', expected: E.PROTOCOL_VIOLATION, frame: Uint8Array.of(FrameType.HANDSHAKE_DONE) },
      { rule: '§19.7 NEW_TOKEN sent by a client', expected: E.PROTOCOL_VIOLATION, frame: encodeFrame({ type: 'new_token', token: rng.bytes(1 + rng.int(20)) }) },
    );
  }
  return list;
}

/** A valid frame with fields drawn from the boundary values (huge offsets, ids, counts). */
function boundaryFrame(rng: Prng, s: StreamSetup): Frame {
  const v = () => rng.varintValue();
  // Offsets near 2^53 still leave room for the data: the writer refuses an end past it.
  const offset = () => Math.min(rng.varintValue(), Number.MAX_SAFE_INTEGER - 64);
  const id = () => rng.pick([s.senderBidi, s.senderUni, s.victimUni, v()]);
  switch (rng.int(7)) {
    case 0: return { type: 'stream', streamId: id(), offset: rng.chance(0.5) ? offset() : rng.int(s.delivered * 2), data: rng.bytes(rng.int(20)), fin: rng.chance(0.3), explicitLength: true };
    case 1: return { type: 'reset_stream', streamId: id(), applicationProtocolErrorCode: v(), finalSize: rng.chance(0.5) ? v() : rng.int(s.delivered * 2) };
    case 2: return { type: 'max_stream_data', streamId: id(), maximumStreamData: v() };
    case 3: return { type: 'stream_data_blocked', streamId: id(), maximumStreamData: v() };
    case 4: { const largest = rng.int(64); return { type: 'ack', largestAcknowledged: largest, ackDelay: v(), ranges: [[rng.int(largest + 1), largest]], ecn: null }; }
    case 5: return { type: 'crypto', offset: rng.chance(0.5) ? offset() : rng.int(5000), data: rng.bytes(rng.int(30)) };
    default: return { type: 'stop_sending', streamId: id(), applicationProtocolErrorCode: v() };
  }
}

/** Fits `payload` into the packet: cut at `room`, never shorter than the original (PADDING in front). */
function fit(payload: Uint8Array, original: Uint8Array, room: number): Uint8Array {
  if (payload.length > room) return payload.subarray(0, room);
  if (payload.length >= original.length) return payload;
  const out = new Uint8Array(original.length);
  out.set(payload, original.length - payload.length);
  return out;
}

function randomMutation(rng: Prng, s: StreamSetup): PayloadMutation {
  switch (rng.int(5)) {
    case 0:
      return { desc: 'byte edits of the frames', apply: (o, room) => fit(rng.mutate(o), o, room) };
    case 1: {
      return { desc: 'truncated', apply: (o, room) => fit(o.subarray(0, rng.int(o.length)), o, room) };
    }
    case 2: {
      // Valid sample frames with edge values (SAMPLE_FRAMES), spliced in at a random frame-ish place.
      const samples = [...framesByType().values()].flat();
      const extra = concatBytes(...Array.from({ length: 1 + rng.int(3) }, () => rng.pick(samples)));
      return { desc: 'splice of sample frames', apply: (o, room) => { const at = rng.chance(0.5) ? 0 : o.length; return fit(concatBytes(o.subarray(0, at), extra, o.subarray(at)), o, room); } };
    }
    case 3: {
      const type = rng.chance(0.5) ? rng.int(0x40) : rng.int(0x4000);
      const junk = bytesOf((w) => { w.varint(type); w.bytes(rng.bytes(rng.int(24))); });
      return { desc: `random frame type 0x${type.toString(16)}`, apply: (o, room) => fit(concatBytes(junk, o), o, room) };
    }
    default: {
      const frames = Array.from({ length: 1 + rng.int(3) }, () => boundaryFrame(rng, s));
      const bytes = concatBytes(...frames.map(encodeFrame));
      return { desc: `boundary frames ${frames.map((f) => f.type).join(',')}`, apply: (o, room) => fit(concatBytes(bytes, o), o, room) };
    }
  }
}

/** One mutation: crafted (expected code known) 40% of the time, random otherwise. */
export function pickMutation(rng: Prng, s: StreamSetup): PayloadMutation {
  if (rng.chance(0.4)) {
    const c = rng.pick(craftedFrames(s, rng));
    const desc = `${c.rule}: ${Buffer.from(c.frame).toString('hex')}`;
    const apply = c.atEnd ? trailing(c.frame) : leading(c.frame);
    return { desc, expected: c.expected, frameType: readFrameType(new Reader(c.frame)), apply };
  }
  return randomMutation(rng, s);
}
