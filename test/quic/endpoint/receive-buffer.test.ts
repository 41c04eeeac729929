import { describe, expect, it } from 'vitest';
import { RECEIVE_BUFFER_BYTES, ReceiveBuffer } from '../../../src/quic/endpoint/receive-buffer.js';
import { sharedArena, takeBytes } from '../../../src/quic/wire/byte-arena.js';
import { copyRange } from '../../../src/quic/wire/bytes-copy.js';

describe('ReceiveBuffer', () => {
  it('hands back a plain Uint8Array with exactly the message bytes, never the Buffer itself', () => {
    const rb = new ReceiveBuffer();
    const msg = Buffer.from([1, 2, 3, 4, 5]);
    const v = rb.load(msg)!;
    expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
    expect(v.buffer).not.toBe(msg.buffer);
    expect([...v]).toEqual([1, 2, 3, 4, 5]);
  });

  it('reuses one view per length and its memory for every message (the next load overwrites)', () => {
    const rb = new ReceiveBuffer();
    const a = rb.load(Uint8Array.of(9, 9, 9))!;
    const b = rb.load(Uint8Array.of(7, 7, 7))!;
    expect(b).toBe(a);
    expect([...a]).toEqual([7, 7, 7]);
    const c = rb.load(new Uint8Array(1300).fill(1))!;
    expect(c.length).toBe(1300);
    expect(c.buffer).toBe(a.buffer);
    // 3 + 256 shares a table slot with 3: the view must still have the right length.
    expect(rb.load(new Uint8Array(259))!.length).toBe(259);
    expect(rb.load(new Uint8Array(3))!.length).toBe(3);
  });

  it('takes an empty message and refuses one larger than its capacity', () => {
    const rb = new ReceiveBuffer(16);
    expect(rb.load(new Uint8Array(0))!.length).toBe(0);
    expect(rb.load(new Uint8Array(16))!.length).toBe(16);
    expect(rb.load(new Uint8Array(17))).toBeUndefined();
    expect(() => new ReceiveBuffer(0)).toThrow(RangeError);
    expect(new ReceiveBuffer().capacity).toBe(RECEIVE_BUFFER_BYTES);
  });

  it('scribble overwrites the last message in place', () => {
    const rb = new ReceiveBuffer();
    const v = rb.load(Uint8Array.of(1, 2, 3))!;
    rb.scribble(0xa5);
    expect([...v]).toEqual([0xa5, 0xa5, 0xa5]);
  });
});

describe('ReceiveBuffer in the byte arena', () => {
  it('is an arena slab, so received bytes are copied into other slabs without a view, and goes back on dispose', () => {
    const arena = sharedArena();
    const rb = new ReceiveBuffer(4096);
    const v = rb.load(Uint8Array.of(1, 2, 3, 4, 5, 6))!;
    expect(v.buffer).toBe(arena.buffer);
    const live = arena.liveSlabs;
    // A copy out of the middle of the datagram into another slab: copyWithin, same bytes.
    const block = takeBytes(4096);
    copyRange(block, 10, v, 2, 3);
    expect([...block.subarray(10, 13)]).toEqual([3, 4, 5]);
    arena.release(block);
    rb.dispose();
    expect(arena.liveSlabs).toBe(live - 1);
    // Still usable after dispose, on an array of its own; a second dispose does nothing.
    const w = rb.load(Uint8Array.of(7, 8))!;
    expect(w.buffer).not.toBe(arena.buffer);
    expect([...w]).toEqual([7, 8]);
    rb.dispose();
    expect(arena.liveSlabs).toBe(live - 1);
  });
});
