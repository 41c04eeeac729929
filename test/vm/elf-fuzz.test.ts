/**
 * Fuzzing the ELF loader: mutated real objects (bit flips, byte sets, truncations, and targeted
 * changes of header / section header / symbol / relocation / relocated instruction fields) must
 * either load into a sane ProgramImage or be rejected with a genuine ElfError. Seeded: a failure
 * prints the seed, fixture and case index; replay one case with
 *   npm run fuzz:elf -- --seed SEED --fixture NAME --case INDEX
 */

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ElfError } from '../../src/vm/errors.js';
import { loadElf } from '../../src/vm/elf.js';
import { checkInput, elfLayout, mutate } from './elf-mutator.js';

const DIR = new URL('../../plugins-c/elf-tests/', import.meta.url);
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.o'))
  .sort();
const SEED = Number(process.env.ELF_FUZZ_SEED ?? 0x5eed1e1f);
const CASES_PER_FIXTURE = Number(process.env.ELF_FUZZ_CASES ?? 1200);

describe('ELF loader fuzz', () => {
  it('has fixtures', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(6);
  });

  const outcomes = new Map<string, number>();

  for (const name of FIXTURES) {
    it(`${name}: ${CASES_PER_FIXTURE} mutations only ever give an image or an ElfError (seed ${SEED})`, () => {
      const base = new Uint8Array(readFileSync(new URL(name, DIR)));
      expect(checkInput(base)).toBeUndefined();
      const layout = elfLayout(base);
      const failures: string[] = [];
      for (let i = 0; i < CASES_PER_FIXTURE && failures.length < 3; i++) {
        const m = mutate(base, layout, SEED, i);
        const problem = checkInput(m.bytes);
        if (problem !== undefined) {
          failures.push(
            `seed ${SEED} fixture ${name} case ${i} [${m.desc}]: ${problem}\n` +
              `replay: npm run fuzz:elf -- --seed ${SEED} --fixture ${name} --case ${i}`,
          );
          continue;
        }
        let outcome = 'loaded';
        try {
          loadElf(m.bytes);
        } catch (e) {
          outcome = (e as ElfError).code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    });
  }

  it('mutations reach every kind of check', () => {
    // Guards against a mutator that only produces garbage rejected at the magic.
    for (const code of ['loaded', 'ELF_MALFORMED', 'ELF_UNSUPPORTED', 'ELF_BAD_RELOCATION', 'ELF_NO_FUNCTION']) {
      expect(outcomes.get(code) ?? 0, `${code} in ${JSON.stringify([...outcomes])}`).toBeGreaterThan(10);
    }
  });

  it('rejects pure garbage and every prefix of a real object without crashing', () => {
    const base = new Uint8Array(readFileSync(new URL('data.o', DIR)));
    for (let len = 0; len <= base.length; len += 7) {
      expect(checkInput(base.subarray(0, len)), `prefix ${len}`).toBeUndefined();
    }
    const junk = new Uint8Array(4096);
    let x = SEED >>> 0;
    for (let i = 0; i < junk.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      junk[i] = x >>> 24;
    }
    junk.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
    expect(checkInput(junk)).toBeUndefined();
  });
});
