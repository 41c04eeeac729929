/**
 * NEW_TOKEN frames, RFC 9000 §19.7.
 *
 * NEW_TOKEN Frame { Type (i) = 0x07, Token Length (i), Token (..) }
 */

import type { Reader, Writer } from '../buffer.js';
import { frameEncodingError, internalError } from '../errors.js';
import { varintLength } from '../varint.js';
import { FrameType } from './types.js';

export interface NewTokenFrame {
  type: 'new_token';
  /** Non-empty; a subarray of the packet (no copy). */
  token: Uint8Array;
}

export function parseNewTokenFrame(r: Reader, _frameType: number): NewTokenFrame {
  const length = r.varint();
  // §19.7: an empty Token field is a FRAME_ENCODING_ERROR.
  if (length === 0) throw frameEncodingError('NEW_TOKEN with an empty Token');
  return { type: 'new_token', token: r.bytes(length) };
}

export function writeNewTokenFrame(w: Writer, f: NewTokenFrame): void {
  if (f.token.length === 0) throw internalError('NEW_TOKEN with an empty Token');
  w.u8(FrameType.NEW_TOKEN);
  w.varint(f.token.length);
  w.bytes(f.token);
}

export function newTokenFrameLength(f: NewTokenFrame): number {
  return 1 + varintLength(f.token.length) + f.token.length;
}
