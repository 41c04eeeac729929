/**
 * The repository's plugins under strict, verified as Plugin.load does: every object with its
 * operation's contract and the plugin-wide summary of the slots the host keeps for the plugin
 * (src/plugins/verify-plugin.ts). The lists are what strict proves today; an object that stops
 * being accepted (or starts) fails here and the lists (and docs/ARCHITECTURE.md) move with it.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/plugins/manifest.js';
import { Plugin } from '../../src/plugins/plugin.js';
import { pluginObjects, verifyPlugin, type PluginVerification } from '../../src/plugins/verify-plugin.js';
import { makeCase } from '../vm/verifier/mutator.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function verifyManifest(path: string): { objects: string[]; v: PluginVerification } {
  const { paths, images, pluglets } = pluginObjects(loadManifest(ROOT + path));
  return { objects: paths.map((o) => o.slice(o.lastIndexOf('/') + 1)), v: verifyPlugin(images, pluglets, 'strict') };
}

/** Plugins accepted whole under strict (Plugin.load with verify: 'strict'). */
const WHOLE = ['ack_delay/ack_delay.plugin', 'datagram/datagram.plugin', 'inspect/inspect.plugin', 'monitoring/monitoring.plugin', 'messages/chatty.plugin', 'negotiate/negotiate.plugin', 'runop/runop.plugin', 'runop/recursion.plugin', 'verifier-tests/frames/frames.plugin', 'fec/fec.plugin',
  // GF(256) elimination with indexes masked to their arrays (rlc.h), counters followed through
  // stack slots (spills.ts), `h % 255` bounded (rem.ts), the SFPID frame checked against input 4.
  'fec/fec_rlc.plugin'];

const fmt = (v: PluginVerification): Record<string, string> => Object.fromEntries([...v.summary].map(([k, f]) => [k, f.kind === 'heap' ? `heap ${f.size}${f.nonNull ? ' non-NULL' : ''}` : f.kind]));

describe('the repository\'s plugins under strict, with the plugin-wide summary', () => {
  it('every plugin of the repository is in WHOLE, except those faulty by design', () => {
    // broken/ holds plugins that must fail at run time; toolong sends a message past the 64 KiB
    // cap (strict rejects its helper call, checked leaves it to the host's check).
    const faulty = (p: string) => p.startsWith('broken/') || p === 'messages/toolong.plugin';
    const all = (function walk(dir: string): string[] {
      return readdirSync(ROOT + 'plugins-c/' + dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}${e.name}/`) : e.name.endsWith('.plugin') ? [`${dir}${e.name}`] : []));
    })('');
    expect(all.filter((p) => !faulty(p)).sort()).toEqual([...WHOLE].sort());
  });

  for (const p of WHOLE) {
    it(`${p}: every object accepted, Plugin.load (strict) too`, () => {
      const { v } = verifyManifest(`plugins-c/${p}`);
      expect(v.results.map((r) => r.errors.map((e) => `${e.code} ${e.reason}`)).flat()).toEqual([]);
      expect(Plugin.load(ROOT + `plugins-c/${p}`, { verify: 'strict', engine: 'interpreter' }).verification.every((r) => r!.ok)).toBe(true);
    });
  }

  it('datagram: the kept slots, send_message\'s frame_ctx the non-NULL message it reserved', () => {
    // The extern operations' buffer and length are typed by their contract (signatures.ts,
    // checked by the host in extern-inputs.ts); messages are blocks of at least 8 bytes whose
    // first field is the length of what follows (len-fields.ts).
    const { objects, v } = verifyManifest('plugins-c/datagram/datagram.plugin');
    expect(fmt(v)).toEqual({ 'cnx_metadata:0': 'heap 576', 'frame:0x30': 'heap 8', 'frame:0x31': 'heap 8', 'reserved:0x31': 'heap 8 non-NULL' });
    for (const o of ['write_datagram.o', 'get_message.o', 'send_message.o']) expect(v.results[objects.indexOf(o)]!.provenAccesses.size).toBeGreaterThan(0);
  });

  it('monitoring: the reads of its metadata block are proven (the JIT drops their checks)', () => {
    const { objects, v } = verifyManifest('plugins-c/monitoring/monitoring.plugin');
    expect(fmt(v)).toEqual({ 'cnx_metadata:0': 'heap 80' });
    const sent = v.results[objects.indexOf('packet_sent.o')]!;
    expect(sent.provenAccesses.size).toBeGreaterThan(0);
  });

  it('fec: write_repair reads its frame_ctx as the non-NULL 1424-byte repair block it reserved, and every access is proven', () => {
    const { objects, v } = verifyManifest('plugins-c/fec/fec.plugin');
    expect(fmt(v)).toEqual({ 'cnx_metadata:0': 'heap 72904', 'frame:0x29': 'number', 'frame:0x2a': 'heap 1424', 'frame:0x2b': 'number', 'reserved:0x2a': 'heap 1424 non-NULL', 'reserved:0x2b': 'number' });
    const w = v.results[objects.indexOf('write_repair.o')]!;
    // r->block, r->count and r->len, then the frame's bytes through the room the varints leave.
    expect(w.errors).toEqual([]);
    expect(w.provenAccesses.size).toBeGreaterThanOrEqual(4);
  });

  it('fec: protect\'s SFPID and XOR accumulator, and process_repair\'s rebuild, are proven', () => {
    const { objects, v } = verifyManifest('plugins-c/fec/fec.plugin');
    for (const o of ['protect.o', 'process_repair.o']) {
      const r = v.results[objects.indexOf(o)]!;
      expect(r.errors).toEqual([]);
      expect(r.provenAccesses.size).toBeGreaterThan(0);
    }
  });

  it('fec: receive_symbol\'s loop over the received payload is bounded by its length and its reads proven', () => {
    const { objects, v } = verifyManifest('plugins-c/fec/fec.plugin');
    const r = v.results[objects.indexOf('receive_symbol.o')]!;
    // Left (today): the accumulator's index, bounded by `end + 2 > MAX_SYMBOL` on a copy of the length.
    expect(r.errors.filter((e) => e.code === 'UNBOUNDED_LOOP' || e.code === 'SCALAR_DEREF')).toEqual([]);
    expect(r.provenAccesses.size).toBeGreaterThan(0);
  });

  it('under checked, every plugin of the repository still loads', () => {
    for (const p of WHOLE) {
      expect(Plugin.load(ROOT + `plugins-c/${p}`, { verify: 'checked', engine: 'interpreter' }).verification.every((r) => r!.ok)).toBe(true);
    }
  });
});

describe('the plugin-wide summary on mutated plugins', () => {
  it('gives every object a verdict, never an exception or an internal error', () => {
    const plugins = ['datagram/datagram.plugin', 'monitoring/monitoring.plugin'].map((p) => pluginObjects(loadManifest(ROOT + `plugins-c/${p}`)));
    for (let i = 0; i < 120; i++) {
      const p = plugins[i % plugins.length]!;
      // The mutated object (found by its length; random bytecode replaces the first) takes its
      // seed's place: its writes change the summary the others are verified with.
      const c = makeCase(p.images, 0x6b657074, i);
      const victim = p.images.findIndex((im) => im.code.length === c.image.code.length);
      const images = p.images.map((im, k) => (k === (victim < 0 ? 0 : victim) ? c.image : im));
      let v: PluginVerification;
      try {
        v = verifyPlugin(images, p.pluglets, c.policy);
      } catch (e) {
        throw new Error(`case ${i} (${c.what}, ${c.policy}): ${(e as Error).stack}`);
      }
      for (const r of v.results) {
        expect(r.ok).toBe(r.errors.length === 0);
        expect(r.errors.filter((e) => e.code === 'INTERNAL')).toEqual([]);
      }
    }
  });
});
