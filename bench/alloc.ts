/**
 * `npm run bench:alloc`: how many bytes the connection core allocates per packet, and where.
 * A client and a server in memory (the test harness: no sockets, no event loop) transfer one
 * stream; V8's sampling heap profiler records every allocation, including objects already
 * collected, and we divide by the packets both ends sent. The goal is zero on the hot path
 * (issue 3); node:crypto's per-packet Cipheriv objects are a floor we cannot remove from here.
 *
 *   npm run bench:alloc [-- --size BYTES] [--top N]
 */
import { Session } from 'node:inspector/promises';
import { collectStream, handshake, makePair, runUntil } from '../test/quic/connection/harness.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isSafeInteger(v) || v <= 0) {
    console.error(`bench:alloc: ${name} wants a positive integer`);
    process.exit(2);
  }
  return v;
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const size = arg('--size', 20_000_000);
const top = arg('--top', 15);
const p = makePair();
handshake(p);
const id = p.client.createStream();
p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
runUntil(p, () => collectStream(p.serverEvents, id).fin);
// Warm up (JIT tiers, buffers), then measure a second transfer on the same connection.
p.server!.sendStreamData(id, new Uint8Array(size), true);
let got = 0;
const take = (): boolean => {
  for (const e of p.clientEvents.splice(0)) if (e.type === 'stream_data') got += e.data.length;
  return got >= size;
};
runUntil(p, take, { maxSteps: 1_000_000 });
const id2 = p.client.createStream();
p.client.sendStreamData(id2, new TextEncoder().encode('GET /\r\n'), true);
runUntil(p, () => collectStream(p.serverEvents, id2).fin);

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const packets0 = p.server!.stats.packetsSent + p.client.stats.packetsSent;
got = 0;
p.server!.sendStreamData(id2, new Uint8Array(size), true);
runUntil(p, take, { maxSteps: 1_000_000 });
const packets = p.server!.stats.packetsSent + p.client.stats.packetsSent - packets0;
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
session.disconnect();

const bySite = new Map<string, number>();
const walk = (n: ProfileNode, parent: string): void => {
  const f = n.callFrame;
  const own = f.url.includes('main.mjs') || f.url === '' ? `${f.functionName || '(anonymous)'}` : `${f.functionName || '(anonymous)'} (${f.url.replace(/^node:/, '')})`;
  // Builtins (subarray, splice ...) are charged to their caller, which is what one can change.
  const site = f.url === '' && parent ? `${own} in ${parent}` : own;
  if (n.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
  for (const c of n.children) walk(c, f.url === '' ? parent : own);
};
walk(profile.head, '');
const total = [...bySite.values()].reduce((a, b) => a + b, 0);
console.log(`bench:alloc: ${(size / 1e6).toFixed(0)} MB in memory, ${packets} packets (both ends), ${(total / packets).toFixed(0)} bytes allocated per packet`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${(bytes / packets).toFixed(0).padStart(7)} B/packet  ${site}`);
}
