/**
 * CONNECTION_CLOSE frames, RFC 9000 §19.19.
 *
 * CONNECTION_CLOSE Frame {
 *   Type (i) = 0x1c..0x1d,
 *   Error Code (i),
 *   [Frame Type (i)],              // 0x1c only
 *   Reason Phrase Length (i), Reason Phrase (..),
 * }
 */

import type { Reader, Writer } from '../buffer.js';
import { varintLength } from '../varint.js';
import { FrameType } from './types.js';

export interface ConnectionCloseFrame {
  type: 'connection_close';
  /** true for 0x1d (application error code), false for 0x1c (transport error code). */
  isApplicationError: boolean;
  /** Transport or application error code; saturates at 2^53 - 1. */
  errorCode: number;
  /**
   * 0x1c only: the type of the frame that triggered the error, 0 when unknown. Always 0 for
   * 0x1d, which has no such field.
   */
  frameType: number;
  /** Reason Phrase bytes as sent (meant to be UTF-8, not checked); a subarray (no copy). */
  reasonPhrase: Uint8Array;
}

export function parseConnectionCloseFrame(r: Reader, frameType: number): ConnectionCloseFrame {
  const isApplicationError = frameType === FrameType.CONNECTION_CLOSE_APP;
  const errorCode = r.varintClamped();
  const triggeringType = isApplicationError ? 0 : r.varintClamped();
  const reasonPhrase = r.bytes(r.varint());
  return { type: 'connection_close', isApplicationError, errorCode, frameType: triggeringType, reasonPhrase };
}

export function writeConnectionCloseFrame(w: Writer, f: ConnectionCloseFrame): void {
  w.u8(f.isApplicationError ? FrameType.CONNECTION_CLOSE_APP : FrameType.CONNECTION_CLOSE);
  w.varint(f.errorCode);
  if (!f.isApplicationError) w.varint(f.frameType);
  w.varint(f.reasonPhrase.length);
  w.bytes(f.reasonPhrase);
}

export function connectionCloseFrameLength(f: ConnectionCloseFrame): number {
  return 1 + varintLength(f.errorCode) + (f.isApplicationError ? 0 : varintLength(f.frameType))
    + varintLength(f.reasonPhrase.length) + f.reasonPhrase.length;
}
