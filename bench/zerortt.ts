/**
 * 0-RTT benchmark: a resumed connection that sends one request in 0-RTT against one that waits
 * for the handshake (both resume the same kind of ticket), over the in-memory connection pair of
 * the tests with its 5 ms one-way delay, alternating the two kinds in this one process.
 *
 *   node tools/run-ts.mjs bench/zerortt.ts [rounds]     (default 200 rounds of each)
 *
 * Per connection: the simulated time from the client's first datagram until the whole request
 * reached the server application and until the response's FIN reached the client (link delay
 * only, so the same every round: the harness moves datagrams in lockstep exchanges, so these
 * count exchanges rather than time a real link), and the process CPU time both ends spent. Per round the without/with ratio; min and
 * median over rounds. A measurement, not a test.
 */
import { collectStream, handshake, makePair, runFor, runUntil, type Pair } from '../test/quic/connection/harness.js';
import { MemorySessionCache } from '../src/quic/tls/session.js';
import { SessionTicketKey } from '../src/quic/tls/ticket.js';

const rounds = Number(process.argv[2] ?? 200);
const key = new SessionTicketKey();
const request = new TextEncoder().encode('GET /index.html\r\n');
const response = new Uint8Array(1000);

function primed(): MemorySessionCache {
  const cache = new MemorySessionCache();
  const p = makePair({ client: { sessionCache: cache }, server: { sessionTicketKey: key, acceptEarlyData: true } });
  handshake(p);
  runFor(p, 50_000);
  if (!cache.get('localhost')) throw new Error('no ticket');
  return cache;
}

/** One request and its response; returns simulated µs and CPU µs until the response is in. */
function fetchOnce(cache: MemorySessionCache, early: boolean): { simUs: number; requestUs: number; cpuUs: number; pair: Pair } {
  const t0 = process.cpuUsage();
  const p = makePair({ client: { sessionCache: cache, enableEarlyData: early }, server: { sessionTicketKey: key, acceptEarlyData: true } });
  const start = p.now;
  let stream = -1;
  let answered = false;
  let requestUs = -1;
  const open = (): void => {
    if (stream < 0 && p.client.canCreateStream()) {
      stream = p.client.createStream();
      p.client.sendStreamData(stream, request, true);
    }
  };
  open();
  const ok = runUntil(p, () => {
    open();
    if (stream < 0) return false;
    if (!answered && collectStream(p.serverEvents, stream).fin) {
      requestUs = p.now - start;
      p.server!.sendStreamData(stream, response, true);
      answered = true;
    }
    return collectStream(p.clientEvents, stream).fin;
  });
  const t = process.cpuUsage(t0);
  if (!ok) throw new Error('no response');
  return { simUs: p.now - start, requestUs, cpuUs: t.user + t.system, pair: p };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sim = { with: [] as number[], without: [] as number[] };
const req = { with: [] as number[], without: [] as number[] };
const cpu = { with: [] as number[], without: [] as number[] };
const ratios: number[] = [];
for (let i = 0; i < rounds + 10; i++) {
  const a = fetchOnce(primed(), false);
  const b = fetchOnce(primed(), true);
  if (b.pair.client.earlyData !== 'accepted' || a.pair.client.earlyData !== 'none') throw new Error('unexpected 0-RTT outcome');
  if (i < 10) continue; // warm-up
  sim.without.push(a.simUs);
  sim.with.push(b.simUs);
  req.without.push(a.requestUs);
  req.with.push(b.requestUs);
  cpu.without.push(a.cpuUs);
  cpu.with.push(b.cpuUs);
  ratios.push(a.cpuUs / b.cpuUs);
}
const ms = (x: number) => `${(x / 1000).toFixed(2)} ms`;
console.log(`rounds: ${rounds}, ${new Date().toISOString()}`);
console.log(`request at the server (simulated, 5 ms one-way): without 0-RTT ${ms(median(req.without))}, with 0-RTT ${ms(median(req.with))}`);
console.log(`response at the client (simulated, 5 ms one-way): without 0-RTT ${ms(median(sim.without))}, with 0-RTT ${ms(median(sim.with))}`);
console.log(`CPU without 0-RTT: min ${ms(Math.min(...cpu.without))}, median ${ms(median(cpu.without))}`);
console.log(`CPU with 0-RTT:    min ${ms(Math.min(...cpu.with))}, median ${ms(median(cpu.with))}`);
console.log(`without/with CPU ratio per round: min ${Math.min(...ratios).toFixed(2)}, median ${median(ratios).toFixed(2)}`);
