/**
 * `npm run bench:alloc`: how many bytes the connection core allocates per packet, and where.
 * A client and a server in memory (the test harness: no sockets, no event loop) transfer one
 * stream; V8's sampling heap profiler records every allocation, including objects already
 * collected, and we divide by the packets both ends sent. The goal is zero on the hot path
 * (issue 3); node:crypto's per-packet Cipheriv objects are a floor we cannot remove from here.
 *
 * The pump is the endpoint's zero-copy send path (QuicConnection.writeDatagram into a buffer the
 * host owns, as src/quic/endpoint/session.ts does with the endpoint's DatagramPool); like the
 * pool's buffers, the pump's buffer is a slab of the shared byte arena, so sent STREAM data is
 * copied into it by copyWithin. --no-arena takes an ordinary array instead (the view path);
 * --arena-mib N sizes the shared arena (default 32: the 20 MB written at once fit; smaller
 * arenas show the fallback to ordinary arrays).
 *
 *   npm run bench:alloc [-- --size BYTES] [--top N] [--lines] [--sizes] [--interval BYTES] [--warmup N] [--cipher aes128gcm|aes256gcm|chacha20] [--pull | --lent]
 *                       [--no-arena] [--arena-mib N] [--time N] [--clock-start US [--absolute-times]] [--one-write] [--marginal [--rounds N]] [--loss P]
 *   npm run bench:alloc -- --udp [--size BYTES] [--top N] [--lines] [--warmup N]
 *
 * --cipher makes the client offer only that suite (default: the default offer, which negotiates
 * ChaCha20-Poly1305 on our WebAssembly core; aes128gcm runs node:crypto's AES-128-GCM). Initial
 * packets are AES-128-GCM either way (RFC 9001 §5.2), but they are not in the measured transfer.
 *
 * --pull reads the streams the way an application of the pull API does: `stream_readable`
 * events and `readStream` into one buffer the application keeps (the default is the push API's
 * `stream_data` events).
 *
 * --lent reads with lent push events (`setStreamReads('lent', appBuffer)`): `stream_data` events
 * whose bytes are copied into the application's buffer when taken, one event object and a view
 * per length reused.
 *
 * --sizes adds, per site, how many sampled objects had each size (16 bytes is a HeapNumber: a
 * double that left optimised code; a typed-array view is about 100), which tells the kinds apart.
 *
 * --lines names each site with the line of its function in the temporary bundle, to tell apart
 * functions of the same name.
 *
 * --time N skips the profiler and times N more transfers instead: CPU microseconds per packet
 * (user + system, both ends in this one process), each run and the minimum and median. For speed
 * comparisons, alternate processes of the two versions and compare ratios.
 *
 * --clock-start US starts the host's clock at US µs (default 1000000, the endpoint clock's
 * first reading): 2200000000 is a server up for 36.7 minutes, whose readings no longer fit a
 * small integer (2^31 - 1). As the endpoint does, each connection gets a time base
 * (endpoint/connection-clock.ts) and is handed times counted from its creation;
 * --absolute-times hands it the host's readings instead (the endpoint before time bases).
 *
 * --marginal profiles pairs of transfers after the warm-up, of size and 5 × size, and prints the
 * bytes our code allocated per packet the larger one added: per-packet allocation without what
 * a transfer costs once, per round (--rounds N, default 3) and their minimum and median
 * (test/quic/connection/packet-allocation.test.ts bounds it).
 *
 * --loss P drops each datagram of the in-memory pump with probability P (fixed seed), so the
 * measurement covers loss detection, retransmission and PTO (RFC 9002 §6) as well.
 *
 * --udp measures the real receive path instead: an hq server and a client endpoint in this one
 * process on 127.0.0.1, one download, and the bytes allocated per datagram received (both
 * endpoints). This includes what Node's dgram allocates for every message (its Buffer and rinfo,
 * out of our hands) and the event loop's own work; the sites tell them apart from ours.
 */
import { Session } from 'node:inspector/promises';
import type { QuicConnection } from '../src/quic/connection/connection.js';
import type { PeerAddress } from '../src/quic/connection/types.js';
import { type CipherSuite, TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256 } from '../src/quic/crypto/provider.js';
import { setSharedArenaCapacity, sharedArena, takeBytes } from '../src/quic/wire/byte-arena.js';
import { CLIENT_ADDR, SERVER_ADDR, handshake, makePair } from '../test/quic/connection/harness.js';
import { ConnectionClock, CONNECTION_EPOCH_US } from '../src/quic/endpoint/connection-clock.js';
import { hqFetch } from '../src/quic/hq/client.js';
import { DiscardSink } from '../src/quic/hq/sinks.js';
import { connectClient, startHqServer } from '../test/quic/endpoint/helpers.js';

const CIPHERS: Record<string, CipherSuite> = {
  aes128gcm: TLS_AES_128_GCM_SHA256,
  aes256gcm: TLS_AES_256_GCM_SHA384,
  chacha20: TLS_CHACHA20_POLY1305_SHA256,
};

/** The --cipher suite, or undefined for the default offer. */
function cipherArg(): CipherSuite | undefined {
  const i = process.argv.indexOf('--cipher');
  if (i < 0) return undefined;
  const suite = CIPHERS[process.argv[i + 1] ?? ''];
  if (suite === undefined) {
    console.error(`bench:alloc: --cipher wants one of ${Object.keys(CIPHERS).join(', ')}`);
    process.exit(2);
  }
  return suite;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isSafeInteger(v) || v <= 0) {
    console.error(`bench:alloc: ${name} wants a positive integer`);
    process.exit(2);
  }
  return v;
}

/** --loss P: a drop probability in [0, 0.5] (0: no loss). */
function lossArg(): number {
  const i = process.argv.indexOf('--loss');
  if (i < 0) return 0;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0 || v > 0.5) {
    console.error('bench:alloc: --loss wants a drop probability between 0 and 0.5');
    process.exit(2);
  }
  return v;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

interface SampledProfile {
  head: ProfileNode;
  samples: { size: number; nodeId: number }[];
}

/** Bytes allocated per site in a sampling heap profile. */
function allocationSites(profile: SampledProfile): Map<string, number> {
  const bySite = new Map<string, number>();
  const walk = (n: ProfileNode, parent: string): void => {
    const f = n.callFrame;
    const own0 = f.url.includes('main.mjs') || f.url === '' ? `${f.functionName || '(anonymous)'}` : `${f.functionName || '(anonymous)'} (${f.url.replace(/^node:/, '')})`;
    const own = lines && f.url.includes('main.mjs') ? `${own0}:${f.lineNumber + 1}` : own0;
    // Builtins (subarray, splice ...) are charged to their caller, which is what one can change.
    const site = f.url === '' && parent ? `${own} in ${parent}` : own;
    if (n.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, f.url === '' ? parent : own);
  };
  walk(profile.head, '');
  return bySite;
}

/**
 * Bytes allocated by our code: functions of the bundle, and builtins they called (charged to
 * them as in allocationSites); Node's own modules and the inspector are not ours.
 */
function ownBytes(profile: SampledProfile): number {
  let total = 0;
  const walk = (n: ProfileNode, callerOurs: boolean): void => {
    const url = n.callFrame.url;
    const ours = url.includes('main.mjs') || (url === '' && callerOurs);
    if (ours) total += n.selfSize;
    for (const c of n.children) walk(c, url === '' ? callerOurs : ours);
  };
  walk(profile.head, false);
  return total;
}

/** Per site, how many sampled objects of each size (a HeapNumber is 16 bytes, a view about 100). */
function objectSizes(profile: SampledProfile): Map<string, Map<number, number>> {
  const siteOf = new Map<number, string>();
  const walk = (n: ProfileNode, parent: string): void => {
    const f = n.callFrame;
    const own = `${f.functionName || '(anonymous)'}${f.url.includes('main.mjs') ? `:${f.lineNumber + 1}` : ''}`;
    siteOf.set(n.id, f.url === '' && parent ? `${own} in ${parent}` : own);
    for (const c of n.children) walk(c, f.url === '' ? parent : own);
  };
  walk(profile.head, '');
  const sizes = new Map<string, Map<number, number>>();
  for (const s of profile.samples) {
    const site = siteOf.get(s.nodeId) ?? '?';
    let m = sizes.get(site);
    if (m === undefined) sizes.set(site, (m = new Map()));
    m.set(s.size, (m.get(s.size) ?? 0) + 1);
  }
  return sizes;
}

/** Starts V8's sampling heap profiler; the returned function stops it and gives the sites. */
async function startProfiler(): Promise<() => Promise<Map<string, number>>> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async () => {
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: SampledProfile };
    session.disconnect();
    if (showSizes) sampledSizes = objectSizes(profile);
    lastOwnBytes = ownBytes(profile);
    return allocationSites(profile);
  };
}

/** The last profile's bytes allocated by our code (ownBytes). */
let lastOwnBytes = 0;

/** --sizes: the last profile's sampled object sizes per site. */
let sampledSizes: Map<string, Map<number, number>> | undefined;

function printSites(bySite: Map<string, number>, per: number, unit: string): void {
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const sizes = sampledSizes?.get(site);
    const detail = sizes === undefined ? '' : `   [${[...sizes].sort((a, b) => b[1] - a[1]).map(([sz, k]) => `${k}x${sz}B`).join(' ')}]`;
    console.log(`${(bytes / per).toFixed(0).padStart(7)} B/${unit}  ${site}${detail}`);
  }
}

/** Adds `sign` × each count of `from` into `into`. */
function addCounts<K>(into: Map<K, number>, from: Map<K, number>, sign: number): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + sign * v);
}

function mapFor<K, V>(m: Map<K, Map<V, number>>, k: K): Map<V, number> {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = new Map()));
  return v;
}

/**
 * --marginal --top: the sites whose bytes grew with the transfer, in bytes per added packet
 * (sampling noise makes small negative deltas too; only positive ones are printed).
 */
function printMarginalSites(delta: Map<string, number>, packets: number): void {
  for (const [site, bytes] of [...delta].filter((e) => e[1] > 0).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const sizes = sampledSizes?.get(site);
    const detail = sizes === undefined ? '' : `   [${[...sizes].filter((e) => e[1] !== 0).sort((a, b) => b[1] - a[1]).map(([sz, k]) => `${k}x${sz}B`).join(' ')}]`;
    console.log(`${(bytes / packets).toFixed(3).padStart(8)} B/packet  ${site}${detail}`);
  }
}

/** --udp: one download over loopback between two endpoints in this process. */
async function udpAllocation(): Promise<void> {
  // The test helpers overwrite each received datagram once processed (a test aid): not here.
  const s = await startHqServer({ scribbleReceived: undefined });
  const client = await connectClient(s.port, { scribbleReceived: undefined });
  const fetchOnce = async (): Promise<void> => {
    const [r] = await hqFetch(client.session, [{ path: `/_bytes/${size}`, sink: new DiscardSink() }]);
    if (!r?.ok || r.bytes !== size) throw new Error(`bench:alloc --udp: the download failed (${r?.error ?? 'no result'})`);
  };
  const received = (): number => s.server.stats.datagramsReceived + client.stats.datagramsReceived;
  // Warm up (JIT tiers, pools, windows: --warmup downloads, 1 by default), then measure one
  // more download on the same connection.
  for (let i = 0; i < warmups; i++) await fetchOnce();
  const stop = await startProfiler();
  const received0 = received();
  await fetchOnce();
  const datagrams = received() - received0;
  const bySite = await stop();
  await client.close();
  await s.server.close();
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  console.log(`bench:alloc --udp: ${(size / 1e6).toFixed(0)} MB over 127.0.0.1, ${datagrams} datagrams received (both ends), ${(total / datagrams).toFixed(0)} bytes allocated per datagram received, ${(lastOwnBytes / datagrams).toFixed(1)} of them by our code`);
  printSites(bySite, datagrams, 'datagram');
  const arena = sharedArena();
  console.log(`byte arena: ${(arena.carved / 2 ** 20).toFixed(1)} of ${(arena.capacity / 2 ** 20).toFixed(0)} MiB carved, ${arena.liveSlabs} slabs live, ${arena.fallbacks} fallbacks to ordinary arrays`);
}

const size = arg('--size', 20_000_000);
const top = arg('--top', 15);
/** Transfers before the measured one (the default, 1, is what earlier rows of docs/BENCHMARKS.md used). */
const warmups = arg('--warmup', 1);
/** Mean bytes between the profiler's samples (V8 randomises the gaps unless run with --sampling-heap-profiler-suppress-randomness). */
const interval = arg('--interval', 256);
const lines = process.argv.includes('--lines');
const showSizes = process.argv.includes('--sizes');
const cipher = cipherArg();
const pull = process.argv.includes('--pull');
const lent = process.argv.includes('--lent');
if (pull && lent) {
  console.error('bench:alloc: --pull and --lent are two ways of reading: choose one');
  process.exit(2);
}
const timeRuns = process.argv.includes('--time') ? arg('--time', 5) : 0;
const noArena = process.argv.includes('--no-arena');
if (process.argv.includes('--udp')) {
  await udpAllocation();
  process.exit(0);
}
if (process.argv.includes('--arena-mib')) setSharedArenaCapacity(arg('--arena-mib', 32) * 2 ** 20);
const readMode = pull ? 'pull' : lent ? 'lent' : 'push';
/** The host clock's first reading (µs), and whether connections see it as is (no time base). */
const clockStart = arg('--clock-start', CONNECTION_EPOCH_US);
const absoluteTimes = process.argv.includes('--absolute-times');
/**
 * Both connections count time from the client's creation (the harness runs them on one clock,
 * and the handshake's few milliseconds between the two creations do not matter here).
 */
const clock = new ConnectionClock(absoluteTimes ? CONNECTION_EPOCH_US : clockStart);
const p = makePair({ startUs: clock.local(clockStart), ...(cipher === undefined ? {} : { client: { cipherSuites: [cipher] } }) });
handshake(p);
/** The host clock (µs); p.now, which the harness's handshake moved, is on the connections' clock. */
let hostNow = clock.endpoint(p.now);
const client = p.client;
const server = p.server!;
/**
 * The application's buffer for readStream (or lent events), reused for every read: a slab of
 * the byte arena, as a host that wants reads without a view per call takes one (pull-mode
 * streams keep their blocks there, so the read is a copyWithin); --no-arena takes an ordinary
 * array.
 */
const appBuffer = noArena ? new Uint8Array(64 * 1024) : takeBytes(64 * 1024);
if (pull) {
  client.setStreamReads('pull');
  server.setStreamReads('pull');
} else if (lent) {
  client.setStreamReads('lent', appBuffer);
  server.setStreamReads('lent', takeBytes(4096));
}

/**
 * The zero-copy pump the endpoint uses (writeDatagram into a buffer the host owns), without
 * sockets: each datagram is handed to the peer as soon as it is written, through a view of the
 * scratch buffer cached per length (Node hands a socket's receiver a fresh Buffer per datagram;
 * that allocation is the socket's, not the core's). The clock moves by the link delay per burst.
 */
const scratchSize = Math.max(client.datagramBufferSize, server.datagramBufferSize);
const scratch = noArena ? new Uint8Array(scratchSize) : takeBytes(scratchSize);
const views: Uint8Array[] = [];
const viewOf = (n: number): Uint8Array => (views[n] ??= scratch.subarray(0, n));
/**
 * --loss P: each datagram of the measured pump is dropped with probability P (a fixed seed, so
 * runs see the same losses), to measure the loss-recovery path (RFC 9002 §6: detection by packet
 * threshold and time threshold, PTO, requeued frames). The generator is mulberry32 (as the test
 * harness's lossy link) kept in int32 arithmetic and compared as 16-bit integers: a fraction per
 * datagram would be a HeapNumber of the bench's own, which --marginal counts as ours.
 */
const lossRate = lossArg();
const lossThreshold = Math.round(lossRate * 65536);
let lossState = 0x2545f491;
const dropNext = (): boolean => {
  if (lossThreshold === 0) return false;
  lossState = (lossState + 0x6d2b79f5) | 0;
  let t = lossState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) & 0xffff) < lossThreshold;
};
let received = 0;
let target = 0;
let requested = -1;
const burst = (from: QuicConnection, to: QuicConnection, fromAddr: PeerAddress): number => {
  // What the session does on every call: the host's time made relative to the connection's start.
  const now = clock.local(hostNow);
  let n = 0;
  for (let sz = from.writeDatagram(now, scratch); sz > 0; sz = from.writeDatagram(now, scratch)) {
    if (!dropNext()) to.receiveDatagram(viewOf(sz), fromAddr, now);
    n++;
  }
  from.afterSend(now);
  return n;
};
/** Everything readable on `id` now, into appBuffer; true at the end of the stream. */
const drain = (cnx: QuicConnection, id: number, count: boolean): boolean => {
  for (;;) {
    const n = cnx.readStream(id, appBuffer);
    if (n <= 0) return n < 0;
    if (count) received += n;
  }
};
const deliver = (): void => {
  for (let e = client.nextEvent(); e; e = client.nextEvent()) {
    if (e.type === 'stream_data') received += e.data.length;
    else if (e.type === 'stream_readable') drain(client, e.streamId, true);
  }
  for (let e = server.nextEvent(); e; e = server.nextEvent()) {
    if (e.type === 'stream_data' && e.fin) requested = e.streamId;
    else if (e.type === 'stream_readable' && drain(server, e.streamId, false)) requested = e.streamId;
  }
};
/** A connection's next timer on the host clock, as the session caches it (Infinity: none). */
const hostTimer = (cnx: QuicConnection): number => {
  const t = cnx.getTimer();
  return t === undefined ? Infinity : clock.endpoint(t);
};
const step = (): void => {
  const moved = burst(client, server, CLIENT_ADDR) + burst(server, client, SERVER_ADDR);
  deliver();
  // Whole microseconds, as the endpoint's clock reads (endpoint/clock.ts): a deadline derived from
  // the fractional smoothed RTT is reached at the first whole microsecond after it.
  hostNow += moved > 0 ? p.delayUs : Math.max(1, Math.ceil(Math.min(hostTimer(client), hostTimer(server)) - hostNow));
  fireTimers();
};
const fireTimers = (): void => {
  if (hostTimer(client) <= hostNow) client.handleTimer(clock.local(hostNow));
  if (hostTimer(server) <= hostNow) server.handleTimer(clock.local(hostNow));
};
/**
 * The server application's writes, as the hq server makes them (hq/server.ts, its default
 * watermarks): once fewer than WRITE_LOW bytes are unacknowledged, pieces of the source slab up
 * to WRITE_HIGH. The source is a slab of the byte arena, so each write is a copyWithin into the
 * stream's arena chunks: what is measured is the stack, not views of the bench's own array.
 * --one-write hands the whole object over at once from an ordinary array instead (the bench
 * until 2026-11-27: one view per 16 KiB written and a chunk queue of 1,220 entries).
 */
const WRITE_HIGH = 4 << 20;
const WRITE_LOW = 2 << 20;
const oneWrite = process.argv.includes('--one-write');
const source = oneWrite ? new Uint8Array(0) : noArena ? new Uint8Array(64 * 1024) : takeBytes(64 * 1024);
/** The stream being written (-1: none) and the bytes left to hand it. */
let writing = -1;
let unwritten = 0;
const feed = (): void => {
  if (writing < 0 || server.streamBufferedBytes(writing) >= WRITE_LOW) return;
  while (unwritten > 0 && server.streamBufferedBytes(writing) < WRITE_HIGH) {
    const n = Math.min(unwritten, source.length);
    unwritten -= n;
    server.sendStreamData(writing, n === source.length ? source : source.subarray(0, n), unwritten === 0);
  }
  if (unwritten === 0) writing = -1;
};
/** Transfers `bytes` from server to client on a new stream. */
const transfer = (bytes: number): void => {
  const id = client.createStream();
  client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
  for (let steps = 0; requested !== id; steps++) {
    if (steps > 1000) throw new Error('bench:alloc: the request did not arrive');
    step();
  }
  received = 0;
  target = bytes;
  if (oneWrite) server.sendStreamData(id, new Uint8Array(bytes), true);
  else {
    writing = id;
    unwritten = bytes;
    feed();
  }
  for (let steps = 0; received < target; steps++) {
    if (steps > 10_000_000) throw new Error('bench:alloc: the transfer did not finish');
    step();
    feed();
  }
};
// Warm up (JIT tiers, buffers, windows), then measure one more transfer on the same connection.
// V8 is still optimising functions during the second transfer; what it allocates for that (code
// metadata, objects of many sizes in whichever function runs) is gone with --warmup 3 or more.
for (let i = 0; i < warmups; i++) transfer(size);

if (timeRuns > 0) {
  const runs: number[] = [];
  for (let i = 0; i < timeRuns; i++) {
    const packets0 = server.stats.packetsSent + client.stats.packetsSent;
    const cpu0 = process.cpuUsage();
    transfer(size);
    const cpu = process.cpuUsage(cpu0);
    runs.push((cpu.user + cpu.system) / (server.stats.packetsSent + client.stats.packetsSent - packets0));
  }
  const sorted = [...runs].sort((a, b) => a - b);
  const fmt = (us: number): string => us.toFixed(3);
  console.log(`bench:alloc --time: ${readMode} reads${noArena ? ', no arena' : ''}${lossRate > 0 ? `, loss ${lossRate}` : ''}, CPU µs per packet: runs ${runs.map(fmt).join(' ')}; min ${fmt(sorted[0]!)} median ${fmt(sorted[sorted.length >> 1]!)}`);
  process.exit(0);
}

/** One profiled transfer of `bytes`: the sites, and the packets both ends sent. */
const profiledTransfer = async (bytes: number): Promise<{ bySite: Map<string, number>; packets: number }> => {
  const stop = await startProfiler();
  const packets0 = server.stats.packetsSent + client.stats.packetsSent;
  transfer(bytes);
  const packets = server.stats.packetsSent + client.stats.packetsSent - packets0;
  return { bySite: await stop(), packets };
};

if (process.argv.includes('--marginal')) {
  // What each packet adds: the bytes of our code in a transfer of 5 × size less those of a
  // transfer of size, over the packets it adds. What a transfer costs once (its stream's
  // opening, queues growing to its flight, the profiler's own work) is in both and cancels.
  // V8 still allocates a few KB now and then at no particular packet (code and feedback for a
  // late tier-up, a wrapper compiled): the minimum over rounds leaves those out.
  // The larger transfer reaches a larger flight than the warm-up did (windows, queues, pools
  // grow to it once): one unprofiled transfer of that size first.
  transfer(5 * size);
  const rounds = arg('--rounds', 3);
  const results: number[] = [];
  let detail = '';
  // --top: the sites' marginal bytes summed over the rounds (large less small), and with --sizes
  // the sampled objects the larger transfers added, to tell which site grows with the packets.
  const siteDelta = new Map<string, number>();
  const sizeDelta = new Map<string, Map<number, number>>();
  let packetDelta = 0;
  for (let i = 0; i < rounds; i++) {
    const small = await profiledTransfer(size);
    const smallOwn = lastOwnBytes;
    const smallSizes = sampledSizes;
    const large = await profiledTransfer(5 * size);
    results.push((lastOwnBytes - smallOwn) / (large.packets - small.packets));
    detail = `${small.packets} and ${large.packets} packets`;
    packetDelta += large.packets - small.packets;
    addCounts(siteDelta, large.bySite, 1);
    addCounts(siteDelta, small.bySite, -1);
    if (showSizes) {
      for (const [site, m] of sampledSizes ?? []) addCounts(mapFor(sizeDelta, site), m, 1);
      for (const [site, m] of smallSizes ?? []) addCounts(mapFor(sizeDelta, site), m, -1);
    }
  }
  const sorted = [...results].sort((a, b) => a - b);
  console.log(`bench:alloc --marginal: ${readMode} reads${oneWrite ? ', one write' : ''}${lossRate > 0 ? `, loss ${lossRate}` : ''}, bytes per packet by our code: rounds ${results.map((r) => r.toFixed(2)).join(' ')}; min ${sorted[0]!.toFixed(2)} median ${sorted[sorted.length >> 1]!.toFixed(2)} (transfers of ${(size / 1e6).toFixed(1)} and ${((5 * size) / 1e6).toFixed(1)} MB, ${detail})`);
  if (process.argv.includes('--top')) {
    sampledSizes = showSizes ? sizeDelta : undefined;
    printMarginalSites(siteDelta, packetDelta);
  }
  process.exit(0);
}

const { bySite, packets } = await profiledTransfer(size);
const total = [...bySite.values()].reduce((a, b) => a + b, 0);
const suiteName = Object.keys(CIPHERS).find((k) => CIPHERS[k] === client.cipherSuite) ?? 'unknown suite';
console.log(`bench:alloc: ${suiteName}, ${(size / 1e6).toFixed(0)} MB in memory, ${readMode} reads${noArena ? ', no arena' : ''}, ${packets} packets (both ends), ${(total / packets).toFixed(0)} bytes allocated per packet, ${(lastOwnBytes / packets).toFixed(1)} of them by our code`);
const arena = sharedArena();
console.log(`byte arena: ${(arena.carved / 2 ** 20).toFixed(1)} of ${(arena.capacity / 2 ** 20).toFixed(0)} MiB carved, ${arena.fallbacks} fallbacks to ordinary arrays`);
printSites(bySite, packets, 'packet');
