/**
 * Frames without fields or with only a count: PADDING (RFC 9000 §19.1), PING (§19.2) and
 * HANDSHAKE_DONE (§19.20).
 */

import type { Reader, Writer } from '../buffer.js';
import { internalError } from '../errors.js';
import { FrameType } from './types.js';

/**
 * A run of PADDING frames. Each PADDING frame is one 0x00 byte; the parser folds a run into one
 * object so that a padded packet costs one allocation, not one per byte.
 */
export interface PaddingFrame {
  type: 'padding';
  /** Number of 0x00 bytes, at least 1. */
  length: number;
}

export interface PingFrame {
  type: 'ping';
}

export interface HandshakeDoneFrame {
  type: 'handshake_done';
}

/** The caller has read the first 0x00; this consumes every 0x00 that follows. */
export function parsePaddingFrame(r: Reader, _frameType: number): PaddingFrame {
  return { type: 'padding', length: skipPadding(r) };
}

/**
 * As parsePaddingFrame, into `into` (a frame the caller reuses): the receive path's in-place
 * parse, no object per padded packet.
 */
export function parsePaddingInto(r: Reader, into: PaddingFrame): PaddingFrame {
  into.length = skipPadding(r);
  return into;
}

/** Consumes the 0x00 bytes after a PADDING frame's first; returns the run's length. */
function skipPadding(r: Reader): number {
  const buf = r.buf;
  const end = r.end;
  const start = r.position;
  let p = start;
  while (p < end && buf[p] === 0) p++;
  r.position = p;
  return 1 + p - start;
}

export function writePaddingFrame(w: Writer, f: PaddingFrame): void {
  if (!(f.length >= 1) || !Number.isInteger(f.length)) throw internalError(`PADDING length ${f.length}`);
  w.zeros(f.length);
}

export function paddingFrameLength(f: PaddingFrame): number {
  return f.length;
}

export function parsePingFrame(_r: Reader, _frameType: number): PingFrame {
  return { type: 'ping' };
}

export function writePingFrame(w: Writer, _f: PingFrame): void {
  w.u8(FrameType.PING);
}

export function parseHandshakeDoneFrame(_r: Reader, _frameType: number): HandshakeDoneFrame {
  return { type: 'handshake_done' };
}

export function writeHandshakeDoneFrame(w: Writer, _f: HandshakeDoneFrame): void {
  w.u8(FrameType.HANDSHAKE_DONE);
}
