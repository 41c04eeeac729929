/**
 * The allocation check for connection time bases: bench/alloc.ts with the host clock started
 * past 2^31 µs (a server up for more than 35.8 minutes) must allocate per packet what it does
 * with a fresh clock, because each connection's core counts time from its own creation. The
 * same run with the host's readings handed to the connections as they are
 * (--absolute-times) shows what the check guards against: every time a HeapNumber.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Bytes allocated per packet in one in-memory transfer (5 MB, pull reads, warmed up). */
async function bytesPerPacket(...extra: string[]): Promise<number> {
  const { stdout } = await run(process.execPath, ['tools/run-ts.mjs', 'bench/alloc.ts', '--pull', '--size', '5000000', '--warmup', '4', ...extra], { timeout: 120_000 });
  const m = /(\d+) bytes allocated per packet/.exec(stdout);
  if (!m) throw new Error(`bench:alloc printed no result:\n${stdout}`);
  return Number(m[1]);
}

describe('allocation with a high endpoint clock', () => {
  it('allocates per packet what a fresh clock does, and far less than untranslated times', async () => {
    const low = await bytesPerPacket();
    const high = await bytesPerPacket('--clock-start', '2500000000');
    const absolute = await bytesPerPacket('--clock-start', '2500000000', '--absolute-times');
    // The sampling profiler varies by a few bytes per packet between runs (53, 53 and 118 B
    // measured when this was written).
    expect(high).toBeLessThanOrEqual(low + 10);
    expect(absolute).toBeGreaterThan(high + 30);
  }, 300_000);
});
