import { describe, expect, it } from 'vitest';
import { CidTable, cidHash } from '../../../src/quic/endpoint/cid-table.js';

const cid = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('CidTable', () => {
  it('finds a CID inside a datagram by its bytes, and only the exact bytes', () => {
    const t = new CidTable<string>();
    t.set(cid(1, 2, 3, 4), 'a');
    const datagram = cid(0x40, 1, 2, 3, 4, 9, 9);
    expect(t.get(datagram, 1, 4)).toBe('a');
    expect(t.get(datagram, 1, 3)).toBeUndefined();
    expect(t.get(datagram, 2, 4)).toBeUndefined();
    expect(t.get(datagram, 5, 4)).toBeUndefined(); // past the end: no match, no throw
    expect(t.size).toBe(1);
  });

  it('keeps its own copy of a CID, replaces values and deletes', () => {
    const t = new CidTable<number>();
    const c = cid(7, 7, 7);
    t.set(c, 1);
    c.fill(0);
    expect(t.get(cid(7, 7, 7), 0, 3)).toBe(1);
    t.set(cid(7, 7, 7), 2);
    expect(t.size).toBe(1);
    expect(t.get(cid(7, 7, 7), 0, 3)).toBe(2);
    expect(t.delete(cid(7, 7, 7))).toBe(true);
    expect(t.delete(cid(7, 7, 7))).toBe(false);
    expect(t.get(cid(7, 7, 7), 0, 3)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('tells apart two CIDs with the same hash (one bucket)', () => {
    // Birthday search for a collision among 5-byte CIDs under seed 0 (about 2^16 tries; with
    // 3 bytes or fewer FNV-1a does not collide at all).
    const make = (n: number): Uint8Array => cid(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n * 7) & 0xff, (n * 13) & 0xff);
    const seen = new Map<number, number>();
    let pair: [Uint8Array, Uint8Array] | undefined;
    for (let n = 0; n < 1 << 20 && !pair; n++) {
      const h = cidHash(0, make(n), 0, 5);
      const other = seen.get(h);
      if (other !== undefined) pair = [make(other), make(n)];
      else seen.set(h, n);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair!;
    const t = new CidTable<string>(0);
    t.set(a, 'a');
    expect(cidHash(0, a, 0, 5)).toBe(cidHash(0, b, 0, 5));
    expect(t.get(b, 0, 5)).toBeUndefined();
    t.set(b, 'b');
    expect(t.size).toBe(2);
    expect(t.get(a, 0, 5)).toBe('a');
    expect(t.get(b, 0, 5)).toBe('b');
    expect(t.delete(a)).toBe(true);
    expect(t.get(a, 0, 5)).toBeUndefined();
    expect(t.get(b, 0, 5)).toBe('b');
  });
});
