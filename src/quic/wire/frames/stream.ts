/**
 * Stream frames: STREAM (RFC 9000 §19.8), RESET_STREAM (§19.4) and STOP_SENDING (§19.5).
 *
 * STREAM Frame {
 *   Type (i) = 0x08..0x0f,          // 0x04 OFF, 0x02 LEN, 0x01 FIN
 *   Stream ID (i), [Offset (i)], [Length (i)], Stream Data (..),
 * }
 * RESET_STREAM Frame { Type (i) = 0x04, Stream ID (i), Application Protocol Error Code (i), Final Size (i) }
 * STOP_SENDING Frame { Type (i) = 0x05, Stream ID (i), Application Protocol Error Code (i) }
 *
 * Stream IDs, offsets and final sizes are numbers; values of 2^53 or more are rejected with
 * FRAME_ENCODING_ERROR (no flow control window we grant reaches them). Application error codes
 * saturate at 2^53 - 1.
 */

import type { Reader, Writer } from '../buffer.js';
import { frameEncodingError, internalError } from '../errors.js';
import { varintLength } from '../varint.js';
import { FrameType, STREAM_FIN_BIT, STREAM_LEN_BIT, STREAM_OFF_BIT } from './types.js';

export interface StreamFrame {
  type: 'stream';
  streamId: number;
  offset: number;
  /** Stream Data: a subarray of the packet (no copy). */
  data: Uint8Array;
  fin: boolean;
  /**
   * Whether the Length field is present. When false the data runs to the end of the packet
   * (only for the last frame of a packet). Writers default to true; parsers always set it.
   */
  explicitLength?: boolean;
}

export interface ResetStreamFrame {
  type: 'reset_stream';
  streamId: number;
  applicationProtocolErrorCode: number;
  finalSize: number;
}

export interface StopSendingFrame {
  type: 'stop_sending';
  streamId: number;
  applicationProtocolErrorCode: number;
}

export function parseStreamFrame(r: Reader, frameType: number): StreamFrame {
  const streamId = r.varint();
  const offset = (frameType & STREAM_OFF_BIT) !== 0 ? r.varint() : 0;
  const explicitLength = (frameType & STREAM_LEN_BIT) !== 0;
  const length = explicitLength ? r.varint() : r.remaining;
  const data = r.bytes(length);
  // §19.8: offset + length must not exceed 2^62 - 1; ours is the tighter 2^53 - 1.
  if (length > Number.MAX_SAFE_INTEGER - offset) {
    throw frameEncodingError(`STREAM offset ${offset} + length ${length} exceeds the largest stream offset`);
  }
  return { type: 'stream', streamId, offset, data, fin: (frameType & STREAM_FIN_BIT) !== 0, explicitLength };
}

/**
 * A STREAM frame parsed in place, for the receive path: one instance is re-pointed at each
 * frame (`parse`, same checks and errors as parseStreamFrame) and knows its data by its bounds
 * in the packet, so a receiver can copy the bytes straight into its reassembly buffer; the
 * `data` view is made only if read. Valid until the next `parse`.
 */
export class StreamFrameView implements StreamFrame {
  readonly type = 'stream' as const;
  streamId = 0;
  offset = 0;
  fin = false;
  explicitLength = true;
  /** The packet buffer holding the Stream Data. */
  buf: Uint8Array = new Uint8Array(0);
  dataStart = 0;
  dataLength = 0;
  private view: Uint8Array | undefined;

  parse(r: Reader, frameType: number): this {
    const streamId = r.varint();
    const offset = (frameType & STREAM_OFF_BIT) !== 0 ? r.varint() : 0;
    const explicitLength = (frameType & STREAM_LEN_BIT) !== 0;
    const length = explicitLength ? r.varint() : r.remaining;
    const start = r.position;
    r.skip(length);
    if (length > Number.MAX_SAFE_INTEGER - offset) {
      throw frameEncodingError(`STREAM offset ${offset} + length ${length} exceeds the largest stream offset`);
    }
    this.streamId = streamId;
    this.offset = offset;
    this.fin = (frameType & STREAM_FIN_BIT) !== 0;
    this.explicitLength = explicitLength;
    this.buf = r.buf;
    this.dataStart = start;
    this.dataLength = length;
    this.view = undefined;
    return this;
  }

  get data(): Uint8Array {
    return (this.view ??= this.buf.subarray(this.dataStart, this.dataStart + this.dataLength));
  }
}

/** The frame type byte `writeStreamFrame` uses for `f`. */
export function streamFrameType(f: StreamFrame): number {
  return FrameType.STREAM
    | (f.offset !== 0 ? STREAM_OFF_BIT : 0)
    | (f.explicitLength !== false ? STREAM_LEN_BIT : 0)
    | (f.fin ? STREAM_FIN_BIT : 0);
}

export function writeStreamFrame(w: Writer, f: StreamFrame): void {
  writeStreamFrameFrom(w, f.streamId, f.offset, f.fin, f.explicitLength !== false, f.data, 0, f.data.length);
}

/**
 * A STREAM frame (with its Length field when `explicitLength`) whose data is
 * `source[start, start + length)`: the sender's path, which copies straight from its send
 * buffer without a view of the range (issue 3: no allocation per packet).
 */
export function writeStreamFrameFrom(
  w: Writer, streamId: number, offset: number, fin: boolean, explicitLength: boolean,
  source: Uint8Array, start: number, length: number,
): void {
  if (length > Number.MAX_SAFE_INTEGER - offset) throw internalError('STREAM frame past the largest offset');
  const type = FrameType.STREAM | (offset !== 0 ? STREAM_OFF_BIT : 0) | (explicitLength ? STREAM_LEN_BIT : 0) | (fin ? STREAM_FIN_BIT : 0);
  w.u8(type);
  w.varint(streamId);
  if (offset !== 0) w.varint(offset);
  if (explicitLength) w.varint(length);
  w.copyFrom(source, start, length);
}

export function streamFrameLength(f: StreamFrame): number {
  return streamFrameOverhead(f.streamId, f.offset, f.data.length, f.explicitLength !== false) + f.data.length;
}

/**
 * Bytes of a STREAM frame before its data, for a sender sizing the data to fit a packet
 * (quic-go's MaxDataLen problem): type + Stream ID + [Offset] + [Length].
 */
export function streamFrameOverhead(streamId: number, offset: number, dataLength: number, explicitLength: boolean): number {
  return 1 + varintLength(streamId) + (offset !== 0 ? varintLength(offset) : 0)
    + (explicitLength ? varintLength(dataLength) : 0);
}

export function parseResetStreamFrame(r: Reader, _frameType: number): ResetStreamFrame {
  const streamId = r.varint();
  const applicationProtocolErrorCode = r.varintClamped();
  const finalSize = r.varint();
  return { type: 'reset_stream', streamId, applicationProtocolErrorCode, finalSize };
}

export function writeResetStreamFrame(w: Writer, f: ResetStreamFrame): void {
  w.u8(FrameType.RESET_STREAM);
  w.varint(f.streamId);
  w.varint(f.applicationProtocolErrorCode);
  w.varint(f.finalSize);
}

export function resetStreamFrameLength(f: ResetStreamFrame): number {
  return 1 + varintLength(f.streamId) + varintLength(f.applicationProtocolErrorCode) + varintLength(f.finalSize);
}

export function parseStopSendingFrame(r: Reader, _frameType: number): StopSendingFrame {
  const streamId = r.varint();
  const applicationProtocolErrorCode = r.varintClamped();
  return { type: 'stop_sending', streamId, applicationProtocolErrorCode };
}

export function writeStopSendingFrame(w: Writer, f: StopSendingFrame): void {
  w.u8(FrameType.STOP_SENDING);
  w.varint(f.streamId);
  w.varint(f.applicationProtocolErrorCode);
}

export function stopSendingFrameLength(f: StopSendingFrame): number {
  return 1 + varintLength(f.streamId) + varintLength(f.applicationProtocolErrorCode);
}
