import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlushScheduler, type FlushTask } from '../../../src/quic/endpoint/flush-scheduler.js';

/** The check phase of the current turn (after the Immediates queued so far). */
const nextCheck = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function task(run: () => void = () => undefined): FlushTask & { runs: number } {
  const t = { flushQueued: false, runs: 0, run: () => { t.runs++; run(); } };
  return t;
}

describe('FlushScheduler', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs every task scheduled in a turn with one Immediate, each once', async () => {
    const spy = vi.spyOn(globalThis, 'setImmediate');
    const s = new FlushScheduler();
    const a = task();
    const b = task();
    s.schedule(a);
    s.schedule(b);
    s.schedule(a);
    expect(spy).toHaveBeenCalledTimes(1);
    await nextCheck();
    expect([a.runs, b.runs]).toEqual([1, 1]);
    expect(a.flushQueued || b.flushQueued).toBe(false);
  });

  it('a task scheduled while the tasks run waits for the next turn', async () => {
    const s = new FlushScheduler();
    let again = true;
    const a: FlushTask & { runs: number } = task(() => {
      if (again) s.schedule(a);
      again = false;
    });
    s.schedule(a);
    await nextCheck();
    expect(a.runs).toBe(1);
    await nextCheck();
    expect(a.runs).toBe(2);
    await nextCheck();
    expect(a.runs).toBe(2);
  });

  it('a cancelled task does not run', async () => {
    const s = new FlushScheduler();
    const a = task();
    const b = task();
    s.schedule(a);
    s.schedule(b);
    s.cancel(a);
    await nextCheck();
    expect([a.runs, b.runs]).toEqual([0, 1]);
  });

  it('runs the other tasks when one throws, then throws its error', async () => {
    const s = new FlushScheduler();
    const boom = new Error('boom');
    const a = task(() => {
      throw boom;
    });
    const b = task();
    // The error leaves the Immediate's callback, where Node reports it as uncaught: the test
    // runner's own handlers step aside for this one error.
    const others = process.listeners('uncaughtException');
    for (const l of others) process.removeListener('uncaughtException', l);
    const caught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    try {
      s.schedule(a);
      s.schedule(b);
      expect(await caught).toBe(boom);
      expect([a.runs, b.runs]).toEqual([1, 1]);
    } finally {
      for (const l of others) process.on('uncaughtException', l);
    }
  });
});
