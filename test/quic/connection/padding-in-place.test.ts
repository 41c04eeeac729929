/**
 * The receive path parses PADDING into a reused frame (parsePaddingInto): the same run length as
 * parsePaddingFrame, the reader left at the first byte after the run, and the frame overwritten.
 */
import { describe, expect, it } from 'vitest';
import { Reader } from '../../../src/quic/wire/buffer.js';
import { FrameType, parsePaddingFrame, parsePaddingInto, type PaddingFrame } from '../../../src/quic/wire/frames/index.js';

/** A reader positioned after the first 0x00 of `bytes`, as the frame loop leaves it. */
function afterType(bytes: number[]): Reader {
  const r = new Reader(Uint8Array.from(bytes));
  r.position = 1;
  return r;
}

describe('PADDING parsed in place', () => {
  it('reads the same runs as parsePaddingFrame into one reused frame', () => {
    const into: PaddingFrame = { type: 'padding', length: 1 };
    for (const bytes of [[0], [0, 0, 0, FrameType.PING], [0, 0, 0, 0, 0], [0, FrameType.PING, 0]]) {
      const a = afterType(bytes);
      const b = afterType(bytes);
      const fresh = parsePaddingFrame(a, FrameType.PADDING);
      expect(parsePaddingInto(b, into)).toBe(into);
      expect(into).toEqual(fresh);
      expect(b.position).toBe(a.position);
    }
  });
});
