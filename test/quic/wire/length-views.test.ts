import { describe, expect, it } from 'vitest';
import { LengthViews } from '../../../src/quic/wire/length-views.js';

describe('LengthViews', () => {
  it('hands back one view per length of the buffer start, its bytes live', () => {
    const buf = new Uint8Array(600);
    const v = new LengthViews(buf);
    const a = v.view(100);
    expect(v.view(100)).toBe(a);
    expect(a.buffer).toBe(buf.buffer);
    expect(a.byteOffset).toBe(0);
    expect(a.length).toBe(100);
    buf[5] = 9;
    expect(a[5]).toBe(9);
    // 100 + 256 shares a slot with 100: right length either way, then 100 is made again.
    expect(v.view(356).length).toBe(356);
    const b = v.view(100);
    expect(b.length).toBe(100);
    expect(b).not.toBe(a);
    expect(v.view(0).length).toBe(0);
    expect(v.view(600).length).toBe(600);
  });

  it('refuses lengths outside the buffer', () => {
    const v = new LengthViews(new Uint8Array(10));
    for (const n of [-1, 11, 1.5, Number.NaN]) expect(() => v.view(n)).toThrow(RangeError);
  });
});
