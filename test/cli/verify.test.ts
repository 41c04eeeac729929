import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, tmp } from './run-cli.js';
import { assemble } from '../../src/vm/asm.js';
import { AK_CNX_INPUT, HELPER_IDS } from '../../src/plugins/abi.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('pquic verify', () => {
  it('accepts a plugin under strict: exit 0', async () => {
    const r = await cli('verify', join(ROOT, 'plugins-c/ack_delay/is_ack_needed.o'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/is_ack_needed\.o: accepted \(strict, ctx pluglet; 41 instructions/);
  });

  it('rejects with pc, instruction, reason and state: exit 1', async () => {
    const r = await cli('verify', join(ROOT, 'plugins-c/verifier-tests/bad_mem.o'), '--entry', 'heap_no_null_check', '--trace');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/rejected \(strict, ctx pluglet\): 1 problem/);
    expect(r.out).toMatch(/PC \d+: stxdw \[%r0\], %r1: store of 8 bytes: pointer may be NULL .* \[NULL_DEREF\]/);
    expect(r.out).toMatch(/state: r0=ptr_or_null\(heap\(16\)\)/);
    expect(r.out).toMatch(/path:\n\s+\d+: /);
  });

  it('checked accepts what strict cannot prove and says what is left to run time', async () => {
    const f = join(ROOT, 'plugins-c/broken/spin.o');
    expect((await cli('verify', f)).code).toBe(1);
    const r = await cli('verify', f, '--policy', 'checked');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/loops at PC \d+ left to the fuel/);
  });

  it('--protoop gives the pluglet its inputs\' contract (the granted buffer)', async () => {
    const f = join(ROOT, 'plugins-c/negotiate/write_tp.o');
    expect((await cli('verify', f)).code).toBe(1);
    expect((await cli('verify', f, '--protoop', 'write_transport_parameter')).code).toBe(0);
    expect((await cli('verify', f, '--protoop', 'write_transport_parameter', '--ctx', 'mem')).code).toBe(2);
  });

  it('--protoop applies an extern operation\'s contract (send_message, get_message): the application\'s buffer and its length', async () => {
    // data = input 0, len = input 1; data[0] read once len != 0 (so len >= 1).
    const get = (i: number, r: number): string => `mov %r1, %r6\nmov %r2, ${AK_CNX_INPUT}\nmov %r3, ${i}\ncall ${HELPER_IDS.get('get_cnx')!}\nmov %r${r}, %r0`;
    const prog = (off: number): string => `mov %r6, %r1\n${get(0, 7)}\n${get(1, 8)}\nmov %r0, 0\njeq %r8, 0, out\nldxb %r0, [%r7+${off}]\nout:\nexit`;
    const f = tmp('first.s', prog(0));
    expect((await cli('verify', f)).code).toBe(1); // data is any number
    for (const op of ['send_message', 'get_message']) expect((await cli('verify', f, '--protoop', op)).code).toBe(0);
    // One byte is all len != 0 gives: the second may be past the buffer.
    const past = await cli('verify', tmp('second.s', prog(1)), '--protoop', 'send_message', '--json');
    expect(past.code).toBe(1);
    expect(JSON.parse(past.out).errors[0]).toMatchObject({ code: 'OUT_OF_BOUNDS' });
    // The object itself: the buffer accesses proven; what is left are the metadata reads, which
    // only the plugin-wide summary types (--plugin, above: accepted whole).
    const real = await cli('verify', join(ROOT, 'plugins-c/datagram/send_message.o'), '--protoop', 'send_message', '--json');
    const bare = await cli('verify', join(ROOT, 'plugins-c/datagram/send_message.o'), '--json');
    const left = (JSON.parse(real.out) as { errors: { code: string }[] }).errors.map((e) => e.code);
    expect(left.length).toBeLessThan((JSON.parse(bare.out) as { errors: unknown[] }).errors.length);
    expect(new Set(left)).toEqual(new Set(['SCALAR_DEREF']));
  });

  it('reads raw bytecode and assembly, with uBPF\'s convention (--ctx mem)', async () => {
    const src = 'mov %r0, 0\njeq %r2, 0, out\nldxb %r0, [%r1]\nout:\nexit';
    const raw = tmp('p.bin', assemble(src));
    expect((await cli('verify', raw, '--ctx', 'mem')).code).toBe(0);
    expect((await cli('verify', raw)).code).toBe(1); // r1 is the connection handle: no dereference
    expect((await cli('verify', tmp('p.s', src), '--ctx', 'mem')).code).toBe(0);
  });

  it('--json gives the verdict, the proven accesses and the rejections', async () => {
    const r = await cli('verify', tmp('q.s', 'ldxdw %r0, [%r1+8]\nexit'), '--ctx', 'mem', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ok: false, policy: 'strict', ctx: 'mem', instructions: 2 });
    expect(j.errors[0]).toMatchObject({ code: 'OUT_OF_BOUNDS', pc: 0, insn: 'ldxdw %r0, [%r1+8]' });
    const ok = JSON.parse((await cli('verify', tmp('q2.s', 'stdw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit'), '--json')).out);
    expect(ok).toMatchObject({ ok: true, provenAccesses: [0, 1] });
  });

  it('usage and I/O errors exit 2', async () => {
    expect((await cli('verify')).code).toBe(2);
    expect((await cli('verify', '/nonexistent/x.o')).code).toBe(2);
    const bad = await cli('verify', join(ROOT, 'plugins-c/ack_delay/is_ack_needed.o'), '--policy', 'lax');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--policy must be strict or checked/);
    expect((await cli('verify', join(ROOT, 'plugins-c/ack_delay/is_ack_needed.o'), '--ctx', 'xdp')).code).toBe(2);
    expect((await cli('verify', join(ROOT, 'plugins-c/ack_delay/is_ack_needed.o'), '--entry', 'nope')).code).toBe(2);
    expect((await cli('verify', tmp('garbage.o', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3])))).code).toBe(2);
  });
});

describe('--plugin-verify', () => {
  it('loads plugins under the chosen policy', async () => {
    const { setupPlugins } = await import('../../src/cli/plugins-opt.js');
    const parsed = (v?: string) => ({ values: { plugin: [join(ROOT, 'plugins-c/monitoring/monitoring.plugin')], ...(v ? { 'plugin-verify': v } : {}) }, positionals: [] });
    const checked = setupPlugins(parsed(), () => {}).runtime!.plugins[0]!;
    // One verdict per pluglet object, with the accesses the JIT may leave unchecked.
    expect(checked.verification.map((v) => v?.ok)).toEqual(new Array(8).fill(true));
    expect(checked.verification.every((v) => v!.provenAccesses instanceof Set)).toBe(true);
    // monitoring and datagram pass strict with the plugin-wide summary; spin's loop never ends.
    expect(setupPlugins(parsed('strict'), () => {}).runtime!.plugins[0]!.verification.every((v) => v!.ok && v!.policy === 'strict')).toBe(true);
    const datagram = { values: { plugin: [join(ROOT, 'plugins-c/datagram/datagram.plugin')], 'plugin-verify': 'strict' }, positionals: [] };
    expect(setupPlugins(datagram, () => {}).runtime!.plugins[0]!.verification.every((v) => v!.ok && v!.policy === 'strict')).toBe(true);
    const spin = { values: { plugin: [join(ROOT, 'plugins-c/broken/spin.plugin')], 'plugin-verify': 'strict' }, positionals: [] };
    expect(() => setupPlugins(spin, () => {})).toThrow(/cannot load plugin: .*rejected by the verifier \(strict\): PC \d+: .* \[[A-Z_]+\]/);
    expect(setupPlugins(parsed('off'), () => {}).runtime!.plugins[0]!.verification).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(() => setupPlugins(parsed('lax'), () => {})).toThrow(/--plugin-verify must be/);
  });
});

describe('pquic verify --plugin', () => {
  it('accepts monitoring under strict with its metadata block typed: exit 0', async () => {
    const r = await cli('verify', '--plugin', join(ROOT, 'plugins-c/monitoring/monitoring.plugin'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/monitoring\.plugin: accepted \(strict; 8 of 8 objects accepted/);
    expect(r.out).toMatch(/kept cnx_metadata:0: heap block of 80 bytes or NULL/);
    expect(r.out).toMatch(/packet_sent\.o \(before_sending_packet\): accepted, \d+ memory accesses proven/);
  });

  it('names each rejected object and why: exit 1; --json', async () => {
    const r = await cli('verify', '--plugin', join(ROOT, 'plugins-c/broken/conflict.plugin'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/conflict\.plugin: rejected \(strict; 1 of 2 objects accepted/);
    expect(r.out).toMatch(/forged\.o \(update_rtt\): accepted/);
    expect(r.out).toMatch(/spin\.o \(is_ack_needed\): rejected: 1 problem\n {4}PC \d+: .*\[UNBOUNDED_LOOP\]/);
    const j = await cli('verify', '--plugin', join(ROOT, 'plugins-c/broken/conflict.plugin'), '--json');
    const parsed = JSON.parse(j.out) as { ok: boolean; objects: { ok: boolean }[] };
    expect(parsed.ok).toBe(false);
    expect(parsed.objects.filter((o) => o.ok)).toHaveLength(1);
  });

  it('accepts datagram whole under strict: its extern inputs typed by their contract, exit 0; --json', async () => {
    const r = await cli('verify', '--plugin', join(ROOT, 'plugins-c/datagram/datagram.plugin'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/datagram\.plugin: accepted \(strict; 9 of 9 objects accepted/);
    expect(r.out).toMatch(/send_message\.o \(send_message\): accepted/);
    expect(r.out).toMatch(/kept reserved:0x31: heap block of 8 bytes\n/);
    const j = await cli('verify', '--plugin', join(ROOT, 'plugins-c/datagram/datagram.plugin'), '--json');
    const parsed = JSON.parse(j.out) as { ok: boolean; kept: Record<string, string>; objects: { ok: boolean }[] };
    expect(parsed.ok).toBe(true);
    expect(parsed.kept['frame:0x31']).toBe('heap block of 8 bytes or NULL');
    expect(parsed.objects.filter((o) => o.ok)).toHaveLength(9);
  });

  it('says "or NULL" only where a read can be NULL: a reserved frame_ctx checked before every reservation is not', async () => {
    const r = await cli('verify', '--plugin', join(ROOT, 'plugins-c/fec/fec.plugin'), '--policy', 'checked');
    expect(r.out).toMatch(/kept reserved:0x2a: heap block of \d+ bytes\n/);
    expect(r.out).toMatch(/kept frame:0x2a: heap block of \d+ bytes or NULL\n/);
  });

  it('usage and input errors: exit 2', async () => {
    expect((await cli('verify', '--plugin', join(ROOT, 'plugins-c/monitoring/monitoring.plugin'), 'x.o')).code).toBe(2);
    expect((await cli('verify', '--plugin', join(ROOT, 'plugins-c/monitoring/monitoring.plugin'), '--ctx', 'mem')).code).toBe(2);
    const missing = await cli('verify', '--plugin', join(ROOT, 'plugins-c/none.plugin'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/pquic verify: .*none\.plugin/);
  });
});
