/**
 * What plugins cost (issue 4, "Speed"), in one run:
 *  - injecting a plugin into a new connection (the plugin is linked once; each connection gets
 *    a fresh VM memory with the image copied in, and its hooks attached), against creating the
 *    connection itself;
 *  - one pluglet call through the protoop table (is_ack_needed of ack_delay) against the core
 *    function it replaces.
 * Run: npm run bench:plugins
 */
import { join } from 'node:path';
import { defaultConfiguration } from '../src/quic/config.js';
import { QuicConnection } from '../src/quic/connection/connection.js';
import { PluginRuntime } from '../src/plugins/runtime.js';

const root = process.cwd();
const manifests = ['ack_delay/ack_delay.plugin', 'monitoring/monitoring.plugin', 'datagram/datagram.plugin'];
const addr = { address: '127.0.0.1', port: 4433 };
const quick = process.argv.includes('--quick');
const N = quick ? 200 : 2000;

function newConnection(): QuicConnection {
  return new QuicConnection(defaultConfiguration({ isClient: true, insecure: true }), { now: 0, peerAddress: addr });
}

function timeUs(n: number, f: () => void): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t) / 1000 / n;
}

const rows: string[] = [];
for (let i = 0; i < N / 10; i++) newConnection(); // warm up
let sink = 0;
const base = timeUs(N, () => void (sink += newConnection().isClient ? 1 : 0));
void sink;
rows.push(`| new QuicConnection (no plugin) | ${base.toFixed(1)} | 1.00 |`);
for (const m of manifests) {
  const rt = PluginRuntime.load([join(root, 'plugins-c', m)]);
  for (let i = 0; i < 20; i++) rt.inject(newConnection());
  // Connections come and go as on a server: each is dropped after its plugins are injected.
  let total = 0;
  for (let i = 0; i < N; i++) {
    const c = newConnection();
    const t = process.hrtime.bigint();
    rt.inject(c);
    total += Number(process.hrtime.bigint() - t);
  }
  const inject = total / 1000 / N;
  rows.push(`| inject ${rt.plugins[0]!.name} (${rt.plugins[0]!.pluglets.length} pluglets) into a new connection | ${inject.toFixed(1)} | ${(inject / base).toFixed(2)} |`);
}

// A pluglet call against the core it replaces.
const plain = newConnection();
const hooked = newConnection();
// The engine is the plugins' default, or PQUIC_ENGINE's (src/plugins/plugin.ts).
const rt0 = PluginRuntime.load([join(root, 'plugins-c/ack_delay/ack_delay.plugin')]).plugins[0]!;
new PluginRuntime([rt0]).inject(hooked);
const calls = quick ? 20_000 : 200_000;
for (const c of [plain, hooked]) for (let i = 0; i < 1000; i++) c.protoops.slots.is_ack_needed(2, 0);
const core = timeUs(calls, () => plain.protoops.slots.is_ack_needed(2, 0)) * 1000;
const plug = timeUs(calls, () => hooked.protoops.slots.is_ack_needed(2, 0)) * 1000;

console.log('| operation | µs | vs a new connection |');
console.log('|---|---:|---:|');
for (const r of rows) console.log(r);
console.log('');
console.log('| is_ack_needed call | ns per call |');
console.log('|---|---:|');
console.log(`| core function (through the table's slot) | ${core.toFixed(1)} |`);
console.log(`| ack_delay's pluglet (${rt0.engine}: 4 helper calls, ~25 eBPF instructions) | ${plug.toFixed(1)} |`);
