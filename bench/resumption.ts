/**
 * Resumption benchmark: the cost of a full QUIC handshake (certificate, ECDSA P-256 signature and
 * chain verification) against a resumed one (PSK with (EC)DHE, no certificate), over the in-memory
 * connection pair of the tests (no sockets), alternating the two kinds in this one process.
 *
 *   node tools/run-ts.mjs bench/resumption.ts [rounds]     (default 200 rounds of each)
 *
 * Per handshake: process CPU time (both ends, everything the stack does from the client's first
 * Initial to both sides complete), and the bytes each side sent until then. Per round the
 * full/resumed CPU ratio; min and median over rounds. A measurement, not a test.
 */
import { handshake, makePair, runFor, type Pair } from '../test/quic/connection/harness.js';
import { MemorySessionCache } from '../src/quic/tls/session.js';
import { SessionTicketKey } from '../src/quic/tls/ticket.js';

const rounds = Number(process.argv[2] ?? 200);
const key = new SessionTicketKey();

/** One handshake; `cache` decides full (empty) or resumed (holding a ticket). */
function run(cache: MemorySessionCache): { cpuUs: number; pair: Pair } {
  const t0 = process.cpuUsage();
  const pair = makePair({ client: { sessionCache: cache }, server: { sessionTicketKey: key } });
  handshake(pair);
  const t = process.cpuUsage(t0);
  return { cpuUs: t.user + t.system, pair };
}

/** A cache holding a fresh ticket, from a full handshake that is not timed. */
function primed(): MemorySessionCache {
  const cache = new MemorySessionCache();
  const { pair } = run(cache);
  if (!cache.get('localhost')) runFor(pair, 50_000); // the ticket follows the server's completion
  if (!cache.get('localhost')) throw new Error('no ticket');
  return cache;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const full: number[] = [];
const resumed: number[] = [];
const ratios: number[] = [];
let bytes = { full: { server: 0, client: 0 }, resumed: { server: 0, client: 0 } };
for (let i = 0; i < rounds + 10; i++) {
  const cache = primed();
  const f = run(new MemorySessionCache());
  const r = run(cache);
  if (!r.pair.client.tls.resumed) throw new Error('the second handshake did not resume');
  if (i < 10) continue; // warm-up
  full.push(f.cpuUs);
  resumed.push(r.cpuUs);
  ratios.push(f.cpuUs / r.cpuUs);
  bytes = {
    full: { server: f.pair.server!.stats.bytesSent, client: f.pair.client.stats.bytesSent },
    resumed: { server: r.pair.server!.stats.bytesSent, client: r.pair.client.stats.bytesSent },
  };
}
const us = (x: number) => `${(x / 1000).toFixed(2)} ms`;
console.log(`rounds: ${rounds}, ${new Date().toISOString()}`);
console.log(`full handshake CPU:    min ${us(Math.min(...full))}, median ${us(median(full))}`);
console.log(`resumed handshake CPU: min ${us(Math.min(...resumed))}, median ${us(median(resumed))}`);
console.log(`full/resumed ratio per round: min ${Math.min(...ratios).toFixed(2)}, median ${median(ratios).toFixed(2)}`);
console.log(`bytes sent until complete: full server ${bytes.full.server} client ${bytes.full.client}; resumed server ${bytes.resumed.server} client ${bytes.resumed.client}`);
