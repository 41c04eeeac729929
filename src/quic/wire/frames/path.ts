/**
 * Path validation frames: PATH_CHALLENGE (RFC 9000 §19.17) and PATH_RESPONSE (§19.18).
 *
 * PATH_CHALLENGE Frame { Type (i) = 0x1a, Data (64) }
 * PATH_RESPONSE Frame { Type (i) = 0x1b, Data (64) }
 */

import type { Reader, Writer } from '../buffer.js';
import { internalError } from '../errors.js';
import { FrameType } from './types.js';

export const PATH_DATA_LENGTH = 8;

export interface PathChallengeFrame {
  type: 'path_challenge';
  /** 8 bytes; a subarray of the packet (no copy). */
  data: Uint8Array;
}

export interface PathResponseFrame {
  type: 'path_response';
  /** 8 bytes; a subarray of the packet (no copy). */
  data: Uint8Array;
}

export function parsePathChallengeFrame(r: Reader, _frameType: number): PathChallengeFrame {
  return { type: 'path_challenge', data: r.bytes(PATH_DATA_LENGTH) };
}

export function parsePathResponseFrame(r: Reader, _frameType: number): PathResponseFrame {
  return { type: 'path_response', data: r.bytes(PATH_DATA_LENGTH) };
}

export function writePathFrame(w: Writer, f: PathChallengeFrame | PathResponseFrame): void {
  if (f.data.length !== PATH_DATA_LENGTH) throw internalError(`${f.type} data is not 8 bytes`);
  w.u8(f.type === 'path_challenge' ? FrameType.PATH_CHALLENGE : FrameType.PATH_RESPONSE);
  w.bytes(f.data);
}

export const PATH_FRAME_LENGTH = 1 + PATH_DATA_LENGTH;
