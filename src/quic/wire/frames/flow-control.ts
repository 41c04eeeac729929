/**
 * Flow control frames: MAX_DATA (RFC 9000 §19.9), MAX_STREAM_DATA (§19.10), MAX_STREAMS
 * (§19.11), DATA_BLOCKED (§19.12), STREAM_DATA_BLOCKED (§19.13), STREAMS_BLOCKED (§19.14).
 *
 * Limits are numbers saturated at 2^53 - 1: a peer may legally announce up to 2^62 - 1, and for
 * us anything from 2^53 on is unlimited. Stream counts above 2^60 are a FRAME_ENCODING_ERROR.
 */

import type { Reader, Writer } from '../buffer.js';
import { frameEncodingError, internalError } from '../errors.js';
import { varintLength } from '../varint.js';
import { FrameType, MAX_STREAMS_LIMIT } from './types.js';

export interface MaxDataFrame {
  type: 'max_data';
  maximumData: number;
}

export interface MaxStreamDataFrame {
  type: 'max_stream_data';
  streamId: number;
  maximumStreamData: number;
}

export interface MaxStreamsFrame {
  type: 'max_streams';
  /** 0x12 for bidirectional streams, 0x13 for unidirectional. */
  bidirectional: boolean;
  maximumStreams: number;
}

export interface DataBlockedFrame {
  type: 'data_blocked';
  maximumData: number;
}

export interface StreamDataBlockedFrame {
  type: 'stream_data_blocked';
  streamId: number;
  maximumStreamData: number;
}

export interface StreamsBlockedFrame {
  type: 'streams_blocked';
  /** 0x16 for bidirectional streams, 0x17 for unidirectional. */
  bidirectional: boolean;
  maximumStreams: number;
}

const LIMIT_BIG = 1n << 60n;

/**
 * A stream count: at most 2^60, since larger counts would need stream IDs beyond 2^62 - 1
 * (§19.11, §19.14). Values in (2^53, 2^60] saturate at 2^53 - 1.
 */
function readStreamCount(r: Reader, what: string): number {
  const start = r.position;
  const v = r.varintClamped();
  if (v === Number.MAX_SAFE_INTEGER) {
    r.position = start;
    if (r.varintBig() > LIMIT_BIG) throw frameEncodingError(`${what} exceeds 2^60`);
  }
  return v;
}

function checkStreamCount(v: number): void {
  if (!(v <= MAX_STREAMS_LIMIT)) throw internalError(`stream count ${v} exceeds 2^60`);
}

export function parseMaxDataFrame(r: Reader, _frameType: number): MaxDataFrame {
  return { type: 'max_data', maximumData: r.varintClamped() };
}

/**
 * A MAX_DATA frame parsed in place, for the receive path (issue 3: nothing allocated per
 * frame): one instance is re-parsed for each frame. Valid until the next `parse`.
 */
export class MaxDataFrameView implements MaxDataFrame {
  readonly type = 'max_data' as const;
  maximumData = 0;

  parse(r: Reader, _frameType: number): this {
    this.maximumData = r.varintClamped();
    return this;
  }
}

export function writeMaxDataFrame(w: Writer, f: MaxDataFrame): void {
  w.u8(FrameType.MAX_DATA);
  w.varint(f.maximumData);
}

export function maxDataFrameLength(f: MaxDataFrame): number {
  return 1 + varintLength(f.maximumData);
}

export function parseMaxStreamDataFrame(r: Reader, _frameType: number): MaxStreamDataFrame {
  const streamId = r.varint();
  return { type: 'max_stream_data', streamId, maximumStreamData: r.varintClamped() };
}

/**
 * A MAX_STREAM_DATA frame parsed in place, as MaxDataFrameView: a receiver that reads in
 * windows gets one per stream every few round trips. Valid until the next `parse`.
 */
export class MaxStreamDataFrameView implements MaxStreamDataFrame {
  readonly type = 'max_stream_data' as const;
  streamId = 0;
  maximumStreamData = 0;

  parse(r: Reader, _frameType: number): this {
    // Both fields read before either is stored: a truncated frame leaves the view as it was.
    const streamId = r.varint();
    const maximumStreamData = r.varintClamped();
    this.streamId = streamId;
    this.maximumStreamData = maximumStreamData;
    return this;
  }
}

export function writeMaxStreamDataFrame(w: Writer, f: MaxStreamDataFrame): void {
  w.u8(FrameType.MAX_STREAM_DATA);
  w.varint(f.streamId);
  w.varint(f.maximumStreamData);
}

export function maxStreamDataFrameLength(f: MaxStreamDataFrame): number {
  return 1 + varintLength(f.streamId) + varintLength(f.maximumStreamData);
}

export function parseMaxStreamsFrame(r: Reader, frameType: number): MaxStreamsFrame {
  const bidirectional = frameType === FrameType.MAX_STREAMS_BIDI;
  return { type: 'max_streams', bidirectional, maximumStreams: readStreamCount(r, 'Maximum Streams') };
}

export function writeMaxStreamsFrame(w: Writer, f: MaxStreamsFrame): void {
  checkStreamCount(f.maximumStreams);
  w.u8(f.bidirectional ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI);
  w.varint(f.maximumStreams);
}

export function maxStreamsFrameLength(f: MaxStreamsFrame): number {
  return 1 + varintLength(f.maximumStreams);
}

export function parseDataBlockedFrame(r: Reader, _frameType: number): DataBlockedFrame {
  return { type: 'data_blocked', maximumData: r.varintClamped() };
}

export function writeDataBlockedFrame(w: Writer, f: DataBlockedFrame): void {
  w.u8(FrameType.DATA_BLOCKED);
  w.varint(f.maximumData);
}

export function dataBlockedFrameLength(f: DataBlockedFrame): number {
  return 1 + varintLength(f.maximumData);
}

export function parseStreamDataBlockedFrame(r: Reader, _frameType: number): StreamDataBlockedFrame {
  const streamId = r.varint();
  return { type: 'stream_data_blocked', streamId, maximumStreamData: r.varintClamped() };
}

export function writeStreamDataBlockedFrame(w: Writer, f: StreamDataBlockedFrame): void {
  w.u8(FrameType.STREAM_DATA_BLOCKED);
  w.varint(f.streamId);
  w.varint(f.maximumStreamData);
}

export function streamDataBlockedFrameLength(f: StreamDataBlockedFrame): number {
  return 1 + varintLength(f.streamId) + varintLength(f.maximumStreamData);
}

export function parseStreamsBlockedFrame(r: Reader, frameType: number): StreamsBlockedFrame {
  const bidirectional = frameType === FrameType.STREAMS_BLOCKED_BIDI;
  return { type: 'streams_blocked', bidirectional, maximumStreams: readStreamCount(r, 'Maximum Streams') };
}

export function writeStreamsBlockedFrame(w: Writer, f: StreamsBlockedFrame): void {
  checkStreamCount(f.maximumStreams);
  w.u8(f.bidirectional ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI);
  w.varint(f.maximumStreams);
}

export function streamsBlockedFrameLength(f: StreamsBlockedFrame): number {
  return 1 + varintLength(f.maximumStreams);
}
