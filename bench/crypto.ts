/**
 * Crypto benchmark: time per 1200-byte QUIC packet for PacketProtector.protect and .unprotect
 * (AEAD plus header protection, in place), per cipher suite and provider, in one process.
 *
 *   node tools/run-ts.mjs bench/crypto.ts            Markdown tables (about 1 s per cell)
 *   node tools/run-ts.mjs bench/crypto.ts --quick    short run, for smoke tests
 *   node tools/run-ts.mjs bench/crypto.ts --json     machine-readable output
 *
 * The packet is a 1-RTT packet: 1-byte first byte, 8-byte DCID, 4-byte packet number, 1171 bytes
 * of payload and the 16-byte tag. A batch of 64 such packets is protected (timed), then
 * unprotected (timed) and checked; unprotect leaves the plaintext in place, so the next round only
 * rewrites the packet number. Times are medians over batches, per packet.
 *
 * A second table times the bare AEAD (seal + open of the 1171-byte payload) and, for AES-GCM,
 * noble's own `gcm(key, nonce, aad)` per call, which rebuilds the key schedule and GHASH tables
 * every time: the difference is what keeping per-key state in the noble provider buys.
 * A third table moves data over an in-memory connection pair (the test harness, no sockets) with
 * AES-128-GCM (node:crypto) and with ChaCha20-Poly1305 (wasm), alternating rounds in this one
 * process, and gives the process CPU time per packet (both ends, everything the stack does) and the
 * AES/ChaCha ratio per round pair, min and median.
 *
 * Rows: node (node:crypto for every suite, its own ChaCha20-Poly1305 included), noble, and wasm
 * (ChaCha20-Poly1305 on our WebAssembly core, what the node provider uses by default).
 * This is a measurement, not a test: it asserts no speed.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { NodeCryptoProvider, getProvider } from '../src/quic/crypto/index.js';
import { PacketProtector } from '../src/quic/crypto/packet-protection.js';
import { type Pair, handshake, makePair, runUntil } from '../test/quic/connection/harness.js';
import {
  type CipherSuite,
  type CryptoProvider,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  suiteParams,
} from '../src/quic/crypto/provider.js';

interface Options {
  json: boolean;
  quick: boolean;
}

const PACKET_SIZE = 1200;
const DCID_LENGTH = 8;
const PN_LENGTH = 4;
const PN_OFFSET = 1 + DCID_LENGTH;
const PAYLOAD_START = PN_OFFSET + PN_LENGTH;
const PAYLOAD_LENGTH = PACKET_SIZE - PAYLOAD_START - 16;
const BATCH = 64;

const SUITES: [string, CipherSuite][] = [
  ['AES-128-GCM', TLS_AES_128_GCM_SHA256],
  ['AES-256-GCM', TLS_AES_256_GCM_SHA384],
  ['ChaCha20-Poly1305', TLS_CHACHA20_POLY1305_SHA256],
];

interface PacketRow {
  provider: string;
  suite: string;
  protectUs: number;
  unprotectUs: number;
  totalUs: number;
  /** Packet bits per µs of protect + unprotect on one core. */
  mbps: number;
}

interface AeadRow {
  implementation: string;
  suite: string;
  sealUs: number;
  openUs: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { json: false, quick: false };
  for (const a of argv) {
    if (a === '--json') opts.json = true;
    else if (a === '--quick') opts.quick = true;
    else {
      console.error(`usage: node tools/run-ts.mjs bench/crypto.ts [--quick] [--json]   (unknown argument ${a})`);
      process.exit(2);
    }
  }
  return opts;
}

function fail(message: string): never {
  console.error(`bench/crypto: ${message}`);
  process.exit(1);
}

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs `round` (which returns [first µs, second µs] for one batch) for warm-up, then measures. */
function measure(opts: Options, round: () => [number, number]): [number, number] {
  const warmEnd = performance.now() + (opts.quick ? 30 : 300);
  while (performance.now() < warmEnd) round();
  const first: number[] = [];
  const second: number[] = [];
  const end = performance.now() + (opts.quick ? 150 : 1000);
  while (first.length < 5 || performance.now() < end) {
    const [a, b] = round();
    first.push(a);
    second.push(b);
  }
  return [median(first), median(second)];
}

function writePacketNumber(packet: Uint8Array, pn: number): void {
  packet[0] = 0x40 | (PN_LENGTH - 1);
  for (let i = 0; i < PN_LENGTH; i++) packet[PN_OFFSET + i] = (pn >>> (8 * (PN_LENGTH - 1 - i))) & 0xff;
}

function benchPackets(label: string, provider: CryptoProvider, suiteName: string, suite: CipherSuite, opts: Options): PacketRow {
  const secret = provider.randomBytes(suiteParams(suite).hashLength);
  const sender = PacketProtector.fromSecret(provider, suite, secret);
  const receiver = PacketProtector.fromSecret(provider, suite, secret);
  const packets = Array.from({ length: BATCH }, () => {
    const p = new Uint8Array(PACKET_SIZE);
    p.set(provider.randomBytes(DCID_LENGTH), 1);
    p.set(provider.randomBytes(PAYLOAD_LENGTH), PAYLOAD_START);
    return p;
  });
  let pn = 0;
  const [protectUs, unprotectUs] = measure(opts, () => {
    const firstPn = pn;
    const t0 = performance.now();
    for (const p of packets) {
      writePacketNumber(p, pn);
      sender.protect(p, 0, PN_OFFSET, PN_LENGTH, PACKET_SIZE, pn);
      pn++;
    }
    const t1 = performance.now();
    let expected = firstPn;
    for (const p of packets) {
      const r = receiver.unprotect(p, 0, PN_OFFSET, PACKET_SIZE, expected - 1);
      if (r === null || r.pn !== expected || r.payload.length !== PAYLOAD_LENGTH) fail(`${label} ${suiteName}: packet ${expected} did not unprotect`);
      expected++;
    }
    const t2 = performance.now();
    return [((t1 - t0) * 1000) / BATCH, ((t2 - t1) * 1000) / BATCH];
  });
  const totalUs = protectUs + unprotectUs;
  return { provider: label, suite: suiteName, protectUs, unprotectUs, totalUs, mbps: (PACKET_SIZE * 8) / totalUs };
}

function benchAead(label: string, provider: CryptoProvider, suiteName: string, suite: CipherSuite, opts: Options): AeadRow {
  const aead = provider.aead(suite, provider.randomBytes(suiteParams(suite).keyLength));
  const aad = provider.randomBytes(PAYLOAD_START);
  const nonce = provider.randomBytes(12);
  const plaintext = provider.randomBytes(PAYLOAD_LENGTH);
  const sealed = Array.from({ length: BATCH }, () => new Uint8Array(PAYLOAD_LENGTH + 16));
  const [sealUs, openUs] = measure(opts, () => {
    const t0 = performance.now();
    for (const out of sealed) aead.seal(nonce, aad, plaintext, out, 0);
    const t1 = performance.now();
    for (const ct of sealed) if (aead.open(nonce, aad, ct) === null) fail(`${label} ${suiteName}: open failed`);
    const t2 = performance.now();
    return [((t1 - t0) * 1000) / BATCH, ((t2 - t1) * 1000) / BATCH];
  });
  return { implementation: label, suite: suiteName, sealUs, openUs };
}

/** noble's gcm() as documented: a new cipher object per message. */
function benchNobleGcmPerCall(suiteName: string, keyLength: number, opts: Options): AeadRow {
  const provider = getProvider('node');
  const key = provider.randomBytes(keyLength);
  const aad = provider.randomBytes(PAYLOAD_START);
  const nonce = provider.randomBytes(12);
  const plaintext = provider.randomBytes(PAYLOAD_LENGTH);
  const sealed: Uint8Array[] = new Array<Uint8Array>(BATCH);
  const [sealUs, openUs] = measure(opts, () => {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) sealed[i] = gcm(key, nonce, aad).encrypt(plaintext);
    const t1 = performance.now();
    for (let i = 0; i < BATCH; i++) gcm(key, nonce, aad).decrypt(sealed[i]!);
    const t2 = performance.now();
    return [((t1 - t0) * 1000) / BATCH, ((t2 - t1) * 1000) / BATCH];
  });
  return { implementation: 'noble gcm() per call', suite: suiteName, sealUs, openUs };
}

interface TransferRow {
  suite: string;
  /** CPU µs per packet sent (both ends), min and median over rounds. */
  minUs: number;
  medianUs: number;
}

/** Uploads `bytes` on a new stream and returns [CPU µs, packets sent by both ends]. */
function upload(p: Pair, bytes: number): [number, number] {
  const server = p.server!;
  const packets0 = p.client.stats.packetsSent + server.stats.packetsSent;
  const cpu0 = process.cpuUsage();
  const id = p.client.createStream();
  p.client.sendStreamData(id, new Uint8Array(bytes), true);
  // Events pile up in p.serverEvents: look at each once, and drop them as we go.
  let done = false;
  const finished = (): boolean => {
    for (const e of p.serverEvents) if (e.type === 'stream_data' && e.streamId === id && e.fin) done = true;
    p.serverEvents.length = 0;
    p.clientEvents.length = 0;
    return done;
  };
  if (!runUntil(p, finished, { maxSteps: 1_000_000 })) fail('transfer did not finish');
  const cpu = process.cpuUsage(cpu0);
  return [cpu.user + cpu.system, p.client.stats.packetsSent + server.stats.packetsSent - packets0];
}

function benchTransfer(opts: Options): { rows: TransferRow[]; ratioMin: number; ratioMedian: number } {
  const suites: [string, CipherSuite][] = [['AES-128-GCM (node:crypto)', TLS_AES_128_GCM_SHA256], ['ChaCha20-Poly1305 (wasm)', TLS_CHACHA20_POLY1305_SHA256]];
  const pairs = suites.map(([name, suite]) => {
    const p = makePair({ client: { cipherSuites: [suite] } });
    handshake(p);
    if (p.client.cipherSuite !== suite) fail(`${name} was not negotiated`);
    return p;
  });
  const bytes = opts.quick ? 1_000_000 : 4_000_000;
  const rounds = opts.quick ? 3 : 9;
  for (const p of pairs) upload(p, bytes); // warm-up: JIT tiers, congestion window
  const perPacket: number[][] = pairs.map(() => []);
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const us = pairs.map((p, i) => {
      const [cpu, packets] = upload(p, bytes);
      perPacket[i]!.push(cpu / packets);
      return cpu / packets;
    });
    ratios.push(us[0]! / us[1]!);
  }
  const rows = suites.map(([name], i) => ({ suite: name, minUs: Math.min(...perPacket[i]!), medianUs: median(perPacket[i]!) }));
  return { rows, ratioMin: Math.min(...ratios), ratioMedian: median(ratios) };
}

function fmt(x: number, digits = 1): string {
  return x.toFixed(digits);
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  // node:crypto for every suite (its own ChaCha20-Poly1305 too, for comparison), noble, and the
  // node provider's default ChaCha20-Poly1305, our WebAssembly one.
  const providers: [string, CryptoProvider][] = [['node', new NodeCryptoProvider({ chacha20: 'openssl' })], ['noble', getProvider('noble')]];
  const wasm: [string, CryptoProvider] = ['wasm', getProvider('node')];
  const packetRows: PacketRow[] = [];
  const aeadRows: AeadRow[] = [];
  for (const [suiteName, suite] of SUITES) {
    for (const [label, provider] of providers) packetRows.push(benchPackets(label, provider, suiteName, suite, opts));
    if (suite === TLS_CHACHA20_POLY1305_SHA256) packetRows.push(benchPackets(wasm[0], wasm[1], suiteName, suite, opts));
  }
  for (const [suiteName, suite] of SUITES) {
    for (const [label, provider] of providers) aeadRows.push(benchAead(`${label} provider`, provider, suiteName, suite, opts));
    if (suite === TLS_CHACHA20_POLY1305_SHA256) aeadRows.push(benchAead(`${wasm[0]} ChaCha20-Poly1305`, wasm[1], suiteName, suite, opts));
    else aeadRows.push(benchNobleGcmPerCall(suiteName, suiteParams(suite).keyLength, opts));
  }

  const transfer = benchTransfer(opts);

  if (opts.json) {
    console.log(JSON.stringify({ node: process.version, cpu: cpus()[0]?.model, packets: packetRows, aead: aeadRows, transfer }, null, 2));
    return;
  }
  console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}; ${PACKET_SIZE}-byte 1-RTT packets, median µs per packet.\n`);
  console.log('| provider | suite | protect µs | unprotect µs | protect+unprotect µs | Mbit/s (one core, both) |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of packetRows) {
    console.log(`| ${r.provider} | ${r.suite} | ${fmt(r.protectUs)} | ${fmt(r.unprotectUs)} | ${fmt(r.totalUs)} | ${fmt(r.mbps, 0)} |`);
  }
  console.log(`\nBare AEAD on the ${PAYLOAD_LENGTH}-byte payload (no header protection), µs per call.\n`);
  console.log('| implementation | suite | seal µs | open µs |');
  console.log('|---|---|---:|---:|');
  for (const r of aeadRows) console.log(`| ${r.implementation} | ${r.suite} | ${fmt(r.sealUs)} | ${fmt(r.openUs)} |`);
  console.log('\nIn-memory connection, client uploads on one stream; process CPU µs per packet sent (both ends), alternating rounds.\n');
  console.log('| suite | min µs | median µs |');
  console.log('|---|---:|---:|');
  for (const r of transfer.rows) console.log(`| ${r.suite} | ${fmt(r.minUs, 2)} | ${fmt(r.medianUs, 2)} |`);
  console.log(`\nAES-128-GCM / ChaCha20-Poly1305 CPU per packet, per round pair: min ${fmt(transfer.ratioMin, 2)}, median ${fmt(transfer.ratioMedian, 2)}`);
}

main();
