/** Test helper: the QUIC transport error code a call raises, or undefined when it returns. */
import { QuicError } from '../../../src/quic/wire/errors.js';

export function codeOf(fn: () => void): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof QuicError) return e.code;
    throw e;
  }
  return undefined;
}
