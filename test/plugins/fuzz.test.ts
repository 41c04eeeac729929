/**
 * Plugins that misbehave at random: pluglets made of random (but loadable) instructions that
 * call the connection API helpers with random arguments, at random protoops. Whatever they do,
 * the process never sees an exception: the plugin fails (and its connection closes) or it runs.
 */
import { describe, expect, it } from 'vitest';
import { encodeInsn, OP_CALL, OP_EXIT, OP_LDDW, type Insn } from '../../src/vm/isa.js';
import { validateProgram } from '../../src/vm/validate.js';
import { HELPER_IDS } from '../../src/plugins/abi.js';
import { Plugin } from '../../src/plugins/plugin.js';
import { PluginInstance } from '../../src/plugins/instance.js';
import type { Manifest } from '../../src/plugins/manifest.js';
import { makePair, prng, runUntil } from '../quic/connection/harness.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkPrograms } from '../../src/vm/link.js';
import { rawImage } from '../../src/vm/program.js';

const HELPERS = [...HELPER_IDS.values()];
const OPS: [string, 'replace' | 'pre' | 'post'][] = [
  ['update_rtt', 'post'], ['is_ack_needed', 'replace'], ['update_ack_delay', 'replace'], ['received_packet', 'pre'],
  ['before_sending_packet', 'post'], ['stream_opened', 'post'], ['packet_was_lost', 'pre'], ['connection_state_changed', 'post'],
];

/** A random straight-line program: register setup with interesting values, helper calls, exit. */
function randomProgram(rnd: () => number): Uint8Array {
  const insns: Insn[] = [];
  const interesting = [0, 1, 2, 8, 0x2e, 0x17, 0xffff, 0x7fffffff, -1, 0x10000, 1 << 20];
  const n = 2 + Math.floor(rnd() * 12);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.45) {
      const dst = 1 + Math.floor(rnd() * 5);
      if (rnd() < 0.5) insns.push({ opcode: 0xbf, dst, src: rnd() < 0.5 ? 10 : Math.floor(rnd() * 10), off: 0, imm: 0 }); // mov reg
      else insns.push({ opcode: 0xb7, dst, src: 0, off: 0, imm: interesting[Math.floor(rnd() * interesting.length)]! | 0 });
    } else if (r < 0.55) {
      insns.push({ opcode: OP_LDDW, dst: 1 + Math.floor(rnd() * 5), src: 0, off: 0, imm: Math.floor(rnd() * 2 ** 31) | 0 });
      insns.push({ opcode: 0, dst: 0, src: 0, off: 0, imm: rnd() < 0.5 ? 0 : 0x100 }); // high half: handle tags
    } else if (r < 0.6) {
      insns.push({ opcode: 0x07, dst: 1 + Math.floor(rnd() * 5), src: 0, off: 0, imm: (Math.floor(rnd() * 4096) - 2048) | 0 });
    } else {
      insns.push({ opcode: OP_CALL, dst: 0, src: 0, off: 0, imm: HELPERS[Math.floor(rnd() * HELPERS.length)]! });
    }
  }
  insns.push({ opcode: OP_EXIT, dst: 0, src: 0, off: 0, imm: 0 });
  const code = new Uint8Array(insns.length * 8);
  insns.forEach((x, i) => encodeInsn(x, code, i));
  return code;
}

describe('random misbehaving pluglets', () => {
  it('never let an exception escape: the plugin fails or runs, the connection closes or lives', () => {
    const rnd = prng(2026);
    const dir = mkdtempSync(join(tmpdir(), 'pquic-fuzz-plugins-'));
    let failed = 0;
    let survived = 0;
    for (let round = 0; round < 60; round++) {
      const k = 1 + Math.floor(rnd() * 3);
      const programs = Array.from({ length: k }, (_, i) => ({ name: `p${i}`, image: rawImage(randomProgram(rnd)) }));
      for (const p of programs) validateProgram(p.image.code, { isHelper: (id) => HELPERS.includes(id) });
      const ops = programs.map(() => OPS[Math.floor(rnd() * OPS.length)]!);
      const manifest: Manifest = {
        name: `fuzz.${round}`, options: new Set(), file: join(dir, 'fuzz.plugin'),
        pluglets: ops.map(([protoop, anchor], i) => ({ protoop, param: 0xffff, anchor, objectPath: join(dir, `p${i}.o`), source: { file: 'fuzz.plugin', line: i + 2 }, afterNegotiation: false })),
      };
      // Bypass ELF: link the raw programs the way Plugin does.
      const linked = linkPrograms(programs, { helperId: (n) => HELPER_IDS.get(n), isHelper: (id) => HELPERS.includes(id), heapSize: 64 << 10 });
      const plugin = Object.assign(Object.create(Plugin.prototype) as Plugin, {
        name: manifest.name, manifest, linked, heapSize: 64 << 10, fuel: 10_000, optional: false,
        pluglets: manifest.pluglets.map((entry, i) => ({ entry, program: i })),
      });
      const pair = makePair();
      let inst: PluginInstance;
      try {
        inst = new PluginInstance(plugin, pair.client);
        inst.attach();
      } catch (e) {
        // Two replaces of one operation: refused at insertion, a clear error.
        expect((e as Error).message).toMatch(/already replaced/);
        continue;
      }
      expect(() => {
        runUntil(pair, () => pair.client.state === 'connected' || pair.client.state === 'closed' || pair.client.state === 'draining', { maxSteps: 300 });
      }).not.toThrow();
      if (inst.failure) {
        failed++;
        expect(inst.failure.message).toMatch(/^plugin fuzz\.\d+ failed in /);
      } else {
        survived++;
      }
    }
    writeFileSync(join(dir, 'done'), `${failed} ${survived}`);
    expect(failed).toBeGreaterThan(5);
    expect(survived).toBeGreaterThan(0);
  });
});
