/**
 * The verifier on random and mutated bytecode: every input gets a verdict (never an exception,
 * never a hang). The long-running version is `npm run fuzz:verify`.
 */
import { describe, expect, it } from 'vitest';
import { ROOT } from './util.js';
import { checkCase, makeCase, seedImages } from './mutator.js';

describe('verifier fuzz', () => {
  it('gives a verdict on 600 random or mutated programs, each quickly', () => {
    const seeds = seedImages(ROOT);
    let rejected = 0;
    let slowest = 0;
    for (let i = 0; i < 600; i++) {
      const c = makeCase(seeds, 0x5eed, i);
      const t = performance.now();
      let r;
      try {
        r = checkCase(c);
      } catch (e) {
        throw new Error(`case ${i} (${c.what}, ${c.policy}, ctx ${c.ctx}): ${(e as Error).stack}`);
      }
      slowest = Math.max(slowest, performance.now() - t);
      if (!r.ok) rejected++;
    }
    expect(rejected).toBeGreaterThan(300);
    expect(slowest).toBeLessThan(5000);
  });
});
