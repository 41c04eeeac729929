/**
 * CRYPTO frames, RFC 9000 §19.6.
 *
 * CRYPTO Frame { Type (i) = 0x06, Offset (i), Length (i), Crypto Data (..) }
 */

import type { Reader, Writer } from '../buffer.js';
import { frameEncodingError, internalError } from '../errors.js';
import { varintLength } from '../varint.js';
import { FrameType } from './types.js';

export interface CryptoFrame {
  type: 'crypto';
  offset: number;
  /** Crypto Data: a subarray of the packet (no copy). */
  data: Uint8Array;
}

export function parseCryptoFrame(r: Reader, _frameType: number): CryptoFrame {
  const offset = r.varint();
  const length = r.varint();
  const data = r.bytes(length);
  // §19.6: offset + length must not exceed 2^62 - 1; ours is the tighter 2^53 - 1.
  if (length > Number.MAX_SAFE_INTEGER - offset) {
    throw frameEncodingError(`CRYPTO offset ${offset} + length ${length} exceeds the largest offset`);
  }
  return { type: 'crypto', offset, data };
}

export function writeCryptoFrame(w: Writer, f: CryptoFrame): void {
  if (f.data.length > Number.MAX_SAFE_INTEGER - f.offset) throw internalError('CRYPTO frame past the largest offset');
  w.u8(FrameType.CRYPTO);
  w.varint(f.offset);
  w.varint(f.data.length);
  w.bytes(f.data);
}

export function cryptoFrameLength(f: CryptoFrame): number {
  return 1 + varintLength(f.offset) + varintLength(f.data.length) + f.data.length;
}
