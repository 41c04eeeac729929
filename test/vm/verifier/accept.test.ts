/**
 * What the verifier must accept: every plugin and kernel of the repository (under checked, and
 * under strict where everything can be proven), and safe programs a naive verifier refuses.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadElf } from '../../../src/vm/elf.js';
import { rawImage } from '../../../src/vm/program.js';
import { synthProgram } from '../../../src/vm/verifier/synth.js';
import { ROOT, elf, first, verifyAsm, verifyImage } from './util.js';

/** Objects the repository means to be valid: everything but the ELF loader tests and the verifier's own corpus. */
function objects(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.o')) out.push(relative(join(ROOT, 'plugins-c'), p));
    }
  };
  walk(join(ROOT, 'plugins-c'));
  return out.filter((f) => !f.startsWith('elf-tests/') && !f.startsWith('verifier-tests/') && f !== 'messages/toolong.o');
}

const ctxOf = (f: string) => (f.startsWith('bench/') || f.startsWith('tests/') ? 'mem' : 'pluglet') as 'mem' | 'pluglet';

/** Accepted under strict: nothing in them needs a runtime check (docs/ARCHITECTURE.md, "Verifier"). */
const STRICT = [
  'ack_delay/is_ack_needed.o', 'ack_delay/update_ack_delay.o', 'bench/crc32.o', 'bench/fnv1a.o', 'bench/insertion_sort.o', 'bench/xor_blocks.o', 'inspect/header.o', 'inspect/lost.o', 'inspect/sack.o', 'inspect/streams.o',
  'messages/chatty.o', 'negotiate/count_rtt.o', 'negotiate/process_tp.o', 'runop/caller.o', 'runop/double_it.o',
  'runop/recurse.o', 'runop/start_recursion.o', 'tests/atomics.o', 'tests/calls.o', 'tests/loops.o',
];

describe('verifier: the repository is accepted', () => {
  for (const f of objects()) {
    it(`${f} (checked${STRICT.includes(f) ? ', strict' : ''})`, () => {
      const image = loadElf(new Uint8Array(readFileSync(join(ROOT, 'plugins-c', f))));
      const r = verifyImage(image, { policy: 'checked', ctx: ctxOf(f) });
      expect(r.errors, JSON.stringify(first(r))).toEqual([]);
      if (STRICT.includes(f)) expect(first(verifyImage(image, { policy: 'strict', ctx: ctxOf(f) }))).toEqual(first({ ...r, errors: [] }));
    });
  }

  it('messages/toolong.o is refused even under checked (a length the host always refuses)', () => {
    const r = verifyImage(elf('plugins-c/messages/toolong.o'), { policy: 'checked' });
    expect(first(r).code).toBe('HELPER_ARG');
  });
});

describe('verifier: safe programs a naive verifier refuses', () => {
  for (const [entry, ctx] of [['checked_index', 'mem'], ['clamped_loop', 'mem'], ['malloc_checked', 'pluglet'], ['divide', 'pluglet'], ['varint_roundtrip', 'pluglet'],
    ['stack_table', 'mem'], ['write_records', 'mem']] as const) {
    it(`C: ${entry} (strict)`, () => {
      const r = verifyImage(elf('plugins-c/verifier-tests/good.o', entry), { ctx });
      expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    });
  }

  it('bounds checked against the runtime length', () => {
    const r = verifyAsm('mov %r0, 0\njeq %r2, 0, out\nldxb %r3, [%r1]\njge %r3, %r2, out\nadd %r1, %r3\nldxb %r0, [%r1]\nout:\nexit', { ctx: 'mem' });
    expect(r.errors).toEqual([]);
    expect([...r.provenAccesses].sort()).toEqual([2, 5]);
  });

  it('a pointer compared with the end of the buffer', () => {
    const r = verifyAsm('mov %r0, 0\nmov %r3, %r1\nadd %r3, %r2\nmov %r4, %r1\nadd %r4, 8\njgt %r4, %r3, out\nldxdw %r0, [%r1]\nout:\nexit', { ctx: 'mem' });
    expect(r.errors).toEqual([]);
  });

  it('a loop with a clamped bound', () => {
    const src = 'mov %r0, 0\nmov %r4, %r2\njle %r4, 32, ok\nmov %r4, 32\nok:\nmov %r5, 0\njeq %r4, 0, out\nl:\nmov %r3, %r1\nadd %r3, %r5\nldxb %r6, [%r3]\nadd %r0, %r6\nadd %r5, 1\njlt %r5, %r4, l\nout:\nexit';
    const r = verifyAsm(src, { ctx: 'mem' });
    expect(r.errors.map((e) => e.reason)).toEqual([]);
    expect(r.unboundedLoops).toEqual([]);
  });

  it('an allocation checked for NULL, through a copy of the pointer', () => {
    const r = verifyAsm('mov %r2, 24\ncall 32\nmov %r6, %r0\njeq %r0, 0, out\nstdw [%r6+16], 1\nldxdw %r0, [%r6+16]\nexit\nout:\nmov %r0, 0\nexit');
    expect(r.errors).toEqual([]);
    expect(r.provenAccesses).toEqual(new Set([4, 5]));
  });

  it('division and modulo by a runtime value', () => {
    const r = verifyAsm('mov %r2, 0\nmov %r3, 0\ncall 2\nmov %r6, %r0\nmov %r1, 100\ndiv %r1, %r6\nmod %r0, %r6\nadd %r0, %r1\nexit');
    expect(r.errors).toEqual([]);
  });

  it('bpf-to-bpf calls with a pointer to the caller stack', () => {
    const r = verifyAsm('stdw [%r10-8], 5\nmov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nldxdw %r0, [%r1]\nadd %r0, 1\nstxdw [%r1], %r0\nexit', { ctx: 'mem' });
    expect(r.errors).toEqual([]);
    expect(r.provenAccesses).toEqual(new Set([0, 4, 6, 8]));
  });
});

describe('verifier: policies and proofs', () => {
  it('checked keeps the runtime check of what it cannot prove, and says which', () => {
    const src = 'ldxdw %r0, [%r1]\nstdw [%r10-8], 1\nexit';
    expect(first(verifyAsm(src, { ctx: 'mem' })).code).toBe('OUT_OF_BOUNDS');
    const r = verifyAsm(src, { ctx: 'mem', policy: 'checked' });
    expect(r.ok).toBe(true);
    expect(r.provenAccesses).toEqual(new Set([1]));
  });

  it('checked leaves loops it cannot bound to the fuel', () => {
    const r = verifyAsm('mov %r2, 0\nmov %r3, 0\ncall 2\nl:\nrsh %r0, 1\njne %r0, 5, l\nexit', { policy: 'checked' });
    expect(r.ok).toBe(true);
    expect(r.unboundedLoops).toEqual([3]);
  });

  it('a synthetic 4,000-instruction program is accepted under strict with every access proven', () => {
    const r = verifyImage(rawImage(synthProgram(4000)), { ctx: 'mem' });
    expect(r.errors).toEqual([]);
    expect(r.provenAccesses.size).toBeGreaterThan(1000);
  });
});

describe('verifier: the fixpoint always ends', () => {
  it('a stride counter next to a growing accumulator converges in a few hundred steps (fuzz case, seed 42 #91304)', () => {
    const src = 'mov %r0, 0\nmov %r3, 5\nmov %r2, 0\nl:\nadd32 %r3, -1\nmul %r3, 31\nadd %r0, %r3\nadd %r2, 8\nmov %r3, %r0\njne %r2, 1200, l\nexit';
    const r = verifyAsm(src, { ctx: 'mem' });
    expect(r.errors.map((e) => e.reason)).toEqual([]);
    expect(r.steps).toBeLessThan(500);
  });
});

describe('verifier: pluglets with their operation\'s input contract', () => {
  // The buffer the host grants (parse_frame, write_frame, transport parameters) is typed, so
  // accesses to it are proven like the mem context's.
  for (const [object, op] of [
    ['negotiate/write_tp.o', 'write_transport_parameter'], ['datagram/write_tp.o', 'write_transport_parameter'],
    ['fec/write_tp.o', 'write_transport_parameter'], ['fec/rlc_write_tp.o', 'write_transport_parameter'],
    ['fec/parse_sfpid.o', 'parse_frame'], ['fec/parse_recovered.o', 'parse_frame'], ['fec/write_recovered.o', 'write_frame'],
  ] as const) {
    it(`${object} as ${op}: strict`, async () => {
      const { inputContract } = await import('../../../src/plugins/signatures.js');
      const { verifyProgram } = await import('../../../src/vm/verifier/index.js');
      const { pluginHelpers } = await import('../../../src/plugins/helper-signatures.js');
      const image = elf(`plugins-c/${object}`);
      expect(verifyImage(image).ok).toBe(false); // without the contract, the buffer is a number
      const r = verifyProgram(image, { ...pluginHelpers, policy: 'strict', ctx: 'pluglet', ...inputContract(op) });
      expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    });
  }

  it('end - p proves a length only when p cannot be past the end', async () => {
    const { inputContract } = await import('../../../src/plugins/signatures.js');
    const { verifyProgram } = await import('../../../src/vm/verifier/index.js');
    const { pluginHelpers } = await import('../../../src/plugins/helper-signatures.js');
    const { assemble } = await import('../../../src/vm/asm.js');
    const src = (skip: number) => [
      'mov %r6, %r1', 'mov %r2, 0', 'mov %r3, 0', 'call 2', 'mov %r7, %r0', 'mov %r1, %r6', 'mov %r2, 0', 'mov %r3, 1', 'call 2',
      `add %r7, ${skip}`, 'mov %r3, %r0', 'sub %r3, %r7', 'mov %r1, %r7', 'mov %r2, %r7', 'call 201', 'mov %r0, 0', 'exit',
    ].join('\n');
    const v = (skip: number) => verifyProgram(rawImage(assemble(src(skip))), { ...pluginHelpers, policy: 'strict', ctx: 'pluglet', ...inputContract('parse_frame')! });
    expect(v(0).errors).toEqual([]);
    // p = start + 8 may be past the end: end - p may wrap to a huge length.
    expect(first(v(8)).code).toBe('HELPER_ARG');
  });

  it('a parse_frame pluglet may return where the frame ends, nothing else', async () => {
    const { inputContract } = await import('../../../src/plugins/signatures.js');
    const contract = inputContract('parse_frame')!;
    const src = (ret: string) => `mov %r6, %r1\nmov %r2, 0\nmov %r3, 0\ncall 2\n${ret}\nexit`;
    const { verifyProgram } = await import('../../../src/vm/verifier/index.js');
    const { pluginHelpers } = await import('../../../src/plugins/helper-signatures.js');
    const { assemble } = await import('../../../src/vm/asm.js');
    const v = (ret: string) => verifyProgram(rawImage(assemble(src(ret))), { ...pluginHelpers, policy: 'strict', ctx: 'pluglet', ...contract });
    expect(v('add %r0, 0').ok).toBe(true);
    expect(first(v('mov %r0, %r10')).code).toBe('POINTER_LEAK');
  });
});
