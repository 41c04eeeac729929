import { describe, expect, it } from 'vitest';
import { SentPackets, type SentPacket } from '../../../src/quic/recovery/sent-packets.js';
import { Prng } from './prng.js';

const packet = (pn: number, size = 100, ackEliciting = true): SentPacket => ({ pn, timeSent: pn * 10, size, ackEliciting, inFlight: true, frames: [] });

/** The reference: a sorted Map, the structure the ring replaced. */
class Model {
  readonly m = new Map<number, SentPacket>();
  remove(pn: number): SentPacket | undefined {
    const p = this.m.get(pn);
    this.m.delete(pn);
    return p;
  }
}

describe('SentPackets (ring)', () => {
  it('agrees with a Map on random adds, removals, ACK ranges and lookups, across growth and sparse numbers', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = new Prng(seed);
      const ring = new SentPackets();
      const model = new Model();
      let pn = rnd.int(0, 5);
      for (let step = 0; step < 600; step++) {
        const op = rnd.int(0, 9);
        if (op < 5) {
          const p = packet(pn, rnd.int(20, 1500), rnd.next() < 0.9);
          ring.add(p);
          model.m.set(pn, p);
          // Mostly contiguous numbers, sometimes gaps, once in a while a huge jump.
          pn += rnd.next() < 0.85 ? 1 : rnd.next() < 0.9 ? rnd.int(2, 30) : rnd.int(1000, 2 ** 40);
        } else if (op < 7) {
          const keys = [...model.m.keys()];
          const target = keys.length > 0 && rnd.next() < 0.8 ? keys[rnd.int(0, keys.length - 1)]! : rnd.int(0, pn);
          expect(ring.remove(target)).toBe(model.remove(target));
        } else if (op < 9) {
          // An ACK frame: descending [smallest, largest] ranges.
          const ranges: [number, number][] = [];
          let top = rnd.int(0, pn);
          for (let r = rnd.int(1, 4); r > 0 && top >= 0; r--) {
            const low = Math.max(0, top - rnd.int(0, 40));
            ranges.push([low, top]);
            top = low - rnd.int(2, 20);
          }
          const expected: SentPacket[] = [];
          for (let r = ranges.length - 1; r >= 0; r--) {
            for (const k of [...model.m.keys()].sort((a, b) => a - b)) {
              if (k >= ranges[r]![0] && k <= ranges[r]![1]) expected.push(model.remove(k)!);
            }
          }
          expect(ring.removeAcked(ranges).map((p) => p.pn)).toEqual(expected.map((p) => p.pn));
        } else {
          const target = rnd.int(0, pn);
          expect(ring.get(target)).toBe(model.m.get(target));
        }
        const live = [...model.m.values()].sort((a, b) => a.pn - b.pn);
        expect(ring.count).toBe(live.length);
        expect([...ring].map((p) => p.pn)).toEqual(live.map((p) => p.pn));
        expect(ring.bytesInFlight).toBe(live.reduce((s, p) => s + p.size, 0));
        expect(ring.ackElicitingInFlight).toBe(live.filter((p) => p.ackEliciting).length);
        const walked: number[] = [];
        for (let i = 0; i < ring.slotCount; i++) {
          const p = ring.at(i);
          if (p) walked.push(p.pn);
        }
        expect(walked).toEqual(live.map((p) => p.pn));
      }
      expect(ring.clear().map((p) => p.pn)).toEqual([...model.m.keys()].sort((a, b) => a - b));
      expect(ring.count).toBe(0);
      expect(ring.bytesInFlight).toBe(0);
    }
  });

  it('refuses a packet number that does not grow', () => {
    const ring = new SentPackets();
    ring.add(packet(5));
    expect(() => ring.add(packet(5))).toThrow(/sent after 5/);
    expect(() => ring.add(packet(3))).toThrow(/sent after 5/);
  });

  it('appends acknowledged packets to a caller-provided array', () => {
    const ring = new SentPackets();
    for (let i = 0; i < 10; i++) ring.add(packet(i));
    const out: SentPacket[] = [];
    expect(ring.removeAcked([[7, 8], [2, 3]], out)).toBe(out);
    expect(out.map((p) => p.pn)).toEqual([2, 3, 7, 8]);
  });
});
