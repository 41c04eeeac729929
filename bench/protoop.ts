/**
 * What the protoop table costs a call site (issue 3: "negligible cost when none is attached").
 * Compares in one run: a direct call of the core function, a call through the table's slot with
 * nothing attached, a parametrable lookup (frame type → function), and a hooked call (one pre
 * observer that does nothing). Run: npm run bench:protoop
 */
import { ProtoopTable } from '../src/quic/protoop/table.js';
import { NO_PARAM } from '../src/quic/protoop/names.js';

interface Slots {
  update_rtt(a: number, b: number): number;
}

const N = 20_000_000;
const core = (a: number, b: number): number => (a + b) & 0xffff;
const bare = new ProtoopTable<Slots>();
bare.define('update_rtt', core);
for (let t = 0; t < 32; t++) bare.define('parse_frame', core, t);
const hooked = new ProtoopTable<Slots>();
hooked.define('update_rtt', core);
hooked.attach('update_rtt', NO_PARAM, 'pre', { owner: 'bench', fn: () => undefined });

function time(f: () => number): { ns: number; sink: number } {
  const t = process.hrtime.bigint();
  const sink = f();
  return { ns: Number(process.hrtime.bigint() - t) / N, sink };
}

const cases: Record<string, () => number> = {
  'direct call of the core function': () => {
    let acc = 0;
    for (let i = 0; i < N; i++) acc = core(acc, i);
    return acc;
  },
  'table slot, nothing attached (table.slots.update_rtt)': () => {
    let acc = 0;
    const s = bare.slots;
    for (let i = 0; i < N; i++) acc = s.update_rtt(acc, i);
    return acc;
  },
  'parametrable lookup + call (table.param("parse_frame", type))': () => {
    let acc = 0;
    for (let i = 0; i < N; i++) acc = bare.param('parse_frame', i & 31)!(acc, i);
    return acc;
  },
  'parametrable, resolved through paramOp (dense array)': () => {
    let acc = 0;
    const op = bare.paramOp('parse_frame');
    for (let i = 0; i < N; i++) acc = op.fn(i & 31)!(acc, i);
    return acc;
  },
  'table slot with one no-op pre observer': () => {
    let acc = 0;
    const s = hooked.slots;
    for (let i = 0; i < N; i++) acc = s.update_rtt(acc, i);
    return acc;
  },
};

const best: Record<string, number> = {};
const rounds = process.argv.includes('--quick') ? 2 : 5;
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of Object.entries(cases)) best[name] = Math.min(best[name] ?? Infinity, time(f).ns);
}
const base = best['direct call of the core function']!;
console.log('| call path | ns per call | vs direct |');
console.log('|---|---:|---:|');
for (const [name, ns] of Object.entries(best)) console.log(`| ${name} | ${ns.toFixed(2)} | ${(ns / base).toFixed(2)}× |`);
