import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, tmp } from './run-cli.js';
import { COMMANDS } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONF = join(ROOT, 'test/fixtures/conformance');

describe('pquic CLI', () => {
  it('prints help for the tool and every command', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const c of COMMANDS) {
      expect(top.out).toContain(c.name);
      const h = await cli(c.name, '--help');
      expect(h.code).toBe(0);
      expect(h.out).toMatch(new RegExp(`^usage: pquic ${c.name}`));
    }
  });

  it('rejects unknown commands and options with usage, exit 2', async () => {
    expect((await cli('frobnicate')).code).toBe(2);
    const r = await cli('run', '--nope', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/pquic run: Unknown option '--nope'/);
    expect(r.err).toContain('usage: pquic run');
    expect((await cli('run')).err).toMatch(/expected exactly one FILE/);
    expect((await cli('run', 'a.o', '--fuel', 'lots')).err).toMatch(/--fuel must be an integer/);
    expect((await cli('conformance', CONF, '--engine', 'warp')).err).toMatch(/--engine must be interpreter or jit/);
  });

  it('reports a missing file in one line', async () => {
    const r = await cli('run', '/nonexistent/x.o');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no such file: \/nonexistent\/x.o/);
  });

  it('runs an ELF object with mem and with args', async () => {
    const mem = Buffer.alloc(40);
    [1n, 2n, 3n, 4n, 5n].forEach((v, i) => mem.writeBigUInt64LE(v, i * 8));
    const r = await cli('run', join(ROOT, 'plugins-c/tests/calls.o'), '--mem', mem.toString('hex'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).r0_signed).toBe('1663341320402770591');
  });

  it('runs assembly text and raw bytecode, and asm writes the bytecode', async () => {
    const src = tmp('p.s', 'mov %r0, %r1\nadd %r0, %r2\nexit\n');
    expect((await cli('run', src, '--arg', '40', '--arg', '2')).out).toMatch(/^r0 = 0x2a \(42\)/);
    const out = join(mkdtempSync(join(tmpdir(), 'pquic-cli-')), 'p.bin');
    expect((await cli('asm', src, '-o', out)).out).toMatch(/3 instructions written/);
    expect(readFileSync(out).length).toBe(24);
    expect((await cli('run', out, '--arg=-1')).out).toMatch(/r0 = 0xffffffffffffffff \(-1\)/);
    expect((await cli('asm', src)).out.split('\n')[0]).toBe('bf 10 00 00 00 00 00 00');
  });

  it('fails a faulting program with exit 1 and a clear message', async () => {
    const src = tmp('f.s', 'ldxw %r0, [%r1+0]\nexit\n');
    const r = await cli('run', src);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pquic run: out of bounds memory load at PC 0/);
    const loop = tmp('l.s', 'l:\nja l\nexit\n');
    expect((await cli('run', loop)).err).toMatch(/infinite loop at PC 0/);
    const loop2 = tmp('l2.s', 'l:\nadd %r0, 1\nja l\nexit\n');
    expect((await cli('run', loop2, '--fuel', '100')).err).toMatch(/instruction budget of 100 exhausted/);
  });

  it('reports assembler errors with the line', async () => {
    const r = await cli('asm', tmp('bad.s', 'mov %r0, 1\nfrob %r1\nexit\n'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 2/);
  });

  it('disassembles an object per function with relocations', async () => {
    const r = await cli('disasm', join(ROOT, 'plugins-c/tests/strings.o'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^strings:$/m);
    expect(r.out).toMatch(/^count_range:$/m);
    expect(r.out).toContain('"Hello, PQUIC!"');
    expect(r.out).toContain('helper pquic_log (id 200)');
  });

  it('inspects an object', async () => {
    const r = await cli('inspect', join(ROOT, 'plugins-c/tests/strings.o'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\.rodata\.str1\.1/);
    expect(r.out).toMatch(/R_BPF_64_64/);
    expect(r.out).toMatch(/helpers \(\d+\): .*pquic_log/);
    const j = JSON.parse((await cli('inspect', join(ROOT, 'plugins-c/tests/strings.o'), '--json')).out);
    expect(j.helpers).toContain('strlen');
    const bad = await cli('inspect', tmp('junk.o', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3])));
    expect(bad.code).toBe(1);
  });

  it('runs the conformance suite and prints the tally', async () => {
    const r = await cli('conformance', join(CONF, 'tests'));
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').pop()).toMatch(/^\d+ passed, 0 failed, 0 skipped$/);
    const neg = await cli('conformance', join(CONF, 'negative'));
    expect(neg.code).toBe(1);
    expect(neg.out).toMatch(/FAIL .*invalid_lock\.data: assembler error: Invalid number of operands for lock/);
    const j = JSON.parse((await cli('conformance', join(CONF, 'tests', 'add.data'), '--json')).out);
    expect(j).toMatchObject({ passed: 1, failed: 0, skipped: 0 });
    const jit = await cli('conformance', join(CONF, 'tests'), '--engine', 'jit');
    expect(jit.code).toBe(0);
    expect(jit.out.trim().split('\n').pop()).toBe(r.out.trim().split('\n').pop());
  });

  it('runs a program on either engine (--engine)', async () => {
    const mem = Buffer.alloc(40);
    [1n, 2n, 3n, 4n, 5n].forEach((v, i) => mem.writeBigUInt64LE(v, i * 8));
    const run = async (engine: string) => {
      const { ns, ...rest } = JSON.parse((await cli('run', join(ROOT, 'plugins-c/tests/calls.o'), '--mem', mem.toString('hex'), '--json', '--engine', engine)).out);
      return rest;
    };
    expect(await run('jit')).toEqual(await run('interpreter'));
  });

  it('runs the demo', async () => {
    const r = await cli('demo');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/4194321 bytes in [\d.]+ s after the handshake, goodput [\d.]+ Mbit\/s, files identical; handshake [\d.]+ ms/);
    expect(r.out).toMatch(/frames the client processed: .*SFPID \d+.*STREAM \d+.*REPAIR \d+/);
    expect(r.out).toMatch(/the client rebuilt [1-9]\d* lost packets/);
    expect(r.out).toContain('[pquic_log] Hello, PQUIC! has 13 chars, 6 upper');
    expect(r.out).toContain('match');
    expect(r.out).toContain('OUT_OF_BOUNDS');
    expect(r.out).toContain('FUEL_EXHAUSTED');
    expect(r.out).toMatch(/checked_index \(strict, ctx mem\): accepted, [1-9]\d* memory access/);
    expect(r.out).toMatch(/handle_deref \(checked, ctx pluglet\): rejected\n {4}PC \d+: .*\[HANDLE_DEREF\]/);
    expect(r.out).toContain('[INFINITE_LOOP]');
  });

  it('exits quietly when its output pipe closes early', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${join(ROOT, 'bin/pquic.mjs')}" disasm "${join(ROOT, 'plugins-c/tests/strings.o')}" | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^; .*strings\.o/);
    expect(r.stderr).toBe('');
  });

  it('works as the installed bin', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin/pquic.mjs'), 'conformance', join(CONF, 'tests')], { encoding: 'utf8' });
    expect(out.trim().split('\n').pop()).toMatch(/passed, 0 failed/);
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/pquic.mjs'), 'run', join(ROOT, 'package.json'), '--format', 'raw'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^pquic run: /);
  });
});
