import { describe, expect, it } from 'vitest';
import { StreamQueue } from '../../../src/quic/connection/stream-queue.js';

describe('StreamQueue', () => {
  it('keeps a queued stream in place, moves a served one to the back, and takes streams back after delete', () => {
    const q = new StreamQueue();
    q.add(0); q.add(4); q.add(8); q.add(0);
    expect(q.snapshot().slice(0, q.snapshotLength)).toEqual([0, 4, 8]);
    q.moveToBack(0);
    expect(q.snapshot().slice(0, q.snapshotLength)).toEqual([4, 8, 0]);
    q.delete(8);
    expect(q.has(8)).toBe(false);
    expect(q.size).toBe(2);
    q.add(8);
    expect(q.snapshot().slice(0, q.snapshotLength)).toEqual([4, 0, 8]);
    q.forget(4);
    q.moveToBack(12);
    expect(q.snapshot().slice(0, q.snapshotLength)).toEqual([0, 8]);
  });

  it('leaves a snapshot being walked unchanged until the next snapshot call', () => {
    const q = new StreamQueue();
    q.add(1); q.add(5);
    const s = q.snapshot();
    q.moveToBack(1);
    q.delete(5);
    expect(s.slice(0, q.snapshotLength)).toEqual([1, 5]);
    expect(q.snapshot().slice(0, q.snapshotLength)).toEqual([1]);
  });

  it('matches an ordered-array model under random operations', () => {
    const q = new StreamQueue();
    const model: number[] = [];
    let seed = 7;
    for (let i = 0; i < 4000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const id = (seed >>> 8) % 6;
      switch (seed % 4) {
        case 0: if (!model.includes(id)) model.push(id); q.add(id); break;
        case 1: if (model.includes(id)) model.splice(model.indexOf(id), 1); q.delete(id); break;
        case 2: if (model.includes(id)) model.splice(model.indexOf(id), 1); q.forget(id); break;
        default:
          if (model.length > 1 && model.includes(id)) { model.splice(model.indexOf(id), 1); model.push(id); }
          q.moveToBack(id);
      }
      expect(q.snapshot().slice(0, q.snapshotLength)).toEqual(model);
      expect(q.size).toBe(model.length);
      for (let k = 0; k < 6; k++) expect(q.has(k)).toBe(model.includes(k));
    }
  });
});
