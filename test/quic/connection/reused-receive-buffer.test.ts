/**
 * Guards the premise of the endpoint's receive path, which copies every datagram into one buffer
 * it reuses (src/quic/endpoint/receive-buffer.ts, issue 3): the core must copy every received
 * byte it keeps past the datagram's processing. Here each delivered datagram sits in a buffer
 * the link owns and is overwritten with junk as soon as its receiver has processed it, so a view
 * kept anywhere sees junk. Each test below exercises one kind of kept bytes and fails if it is a
 * view: CRYPTO data and what TLS keeps of it, packets buffered before their keys, connection IDs
 * and stateless reset tokens from NEW_CONNECTION_ID, PATH_CHALLENGE data, STREAM data, frames
 * handed to a plugin, qlog records. (Retry tokens are covered end to end by the endpoint tests,
 * whose endpoints overwrite each datagram too: test/quic/endpoint/helpers.ts.)
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { QuicEvent } from '../../../src/quic/events.js';
import type { PeerAddress } from '../../../src/quic/connection/types.js';
import { createQlogWriter, RECORD_SEPARATOR } from '../../../src/quic/qlog/writer.js';
import { PluginRuntime } from '../../../src/plugins/runtime.js';
import type { PluginInstance } from '../../../src/plugins/instance.js';
import { DatagramChannel } from '../../../src/plugins/datagram.js';
import { collectStream, handshake, lossyLink, makePair, runFor, runUntil, type Link, type Pair } from './harness.js';

const JUNK = 0xa5;
const SLOT_SIZE = 1 << 16;
const SERVER_ADDR_2: PeerAddress = { address: '10.0.0.3', port: 4433 };

/**
 * A link that copies each datagram of a batch into slot k of a pool reused for every batch, and a
 * hook that fills a datagram's slot with junk once its receiver processed it (set as
 * `Pair.afterDatagram`): later datagrams, timers and reads only ever see junk there.
 */
function reusingLink(inner: Link): { link: Link; afterDatagram: (d: Uint8Array) => void } {
  const slots: Uint8Array[] = [];
  const link: Link = (datagrams, direction) =>
    inner(datagrams, direction).map((d, k) => {
      const slot = (slots[k] ??= new Uint8Array(SLOT_SIZE));
      slot.set(d);
      return slot.subarray(0, d.length);
    });
  return { link, afterDatagram: (d) => d.fill(JUNK) };
}

function body(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** A pair whose every delivered datagram is overwritten once processed. */
function reusingPair(inner: Link = (d) => d, make: () => Pair = () => makePair()): { p: Pair; link: Link } {
  const p = make();
  const { link, afterDatagram } = reusingLink(inner);
  p.afterDatagram = afterDatagram;
  return { p, link };
}

function expectSameBytes(a: Uint8Array, b: Uint8Array): void {
  expect(a.length).toBe(b.length);
  expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
}

/** A request and a reply, checked byte for byte, then a second stream on the stored state. */
function exchange(p: Pair, link: Link): void {
  const request = body(3000, 1);
  const reply = body(300_000, 2);
  const id = p.client.createStream();
  p.client.sendStreamData(id, request, true);
  expect(runUntil(p, () => collectStream(p.serverEvents, id).fin, { link, maxSteps: 20_000 })).toBe(true);
  p.server!.sendStreamData(id, reply, true);
  expect(runUntil(p, () => collectStream(p.clientEvents, id).fin, { link, maxSteps: 20_000 })).toBe(true);
  expectSameBytes(collectStream(p.serverEvents, id).data, request);
  expectSameBytes(collectStream(p.clientEvents, id).data, reply);

  const id2 = p.client.createStream();
  const again = body(50_000, 3);
  p.client.sendStreamData(id2, again, true);
  expect(runUntil(p, () => collectStream(p.serverEvents, id2).fin, { link, maxSteps: 20_000 })).toBe(true);
  expectSameBytes(collectStream(p.serverEvents, id2).data, again);
  expect(p.client.state).toBe('connected');
  expect(p.server!.state).toBe('connected');
}

/** A qlog trace kept as parsed records (the real writer: records are JSON text when logged). */
function qlogRecords(): { trace: ReturnType<typeof createQlogWriter>; records: () => { name: string; data: Record<string, unknown> }[] } {
  let text = '';
  const trace = createQlogWriter((chunk) => void (text += chunk), { vantage: 'client', odcid: new Uint8Array(8), startTimeUs: 0, bufferBytes: 0 });
  const records = (): { name: string; data: Record<string, unknown> }[] =>
    text.split(RECORD_SEPARATOR).filter((r) => r.trim() !== '').map((r) => JSON.parse(r) as { name: string; data: Record<string, unknown> }).filter((r) => r.name !== undefined);
  return { trace, records };
}

const issued = (events: QuicEvent[]): Uint8Array[] =>
  events.flatMap((e) => (e.type === 'connection_id_issued' ? [e.connectionId] : []));

describe('received bytes outlive a reused receive buffer', () => {
  it('handshake and streams on a perfect link', () => {
    const { p, link } = reusingPair();
    handshake(p, link);
    exchange(p, link);
  });

  it('handshake and streams on a lossy, duplicating, reordering link', () => {
    const { p, link } = reusingPair(lossyLink(7, { drop: 0.05, duplicate: 0.05, reorder: 0.3 }));
    handshake(p, link);
    exchange(p, link);
  });

  it('Handshake packets that arrive before the Initial that brings their keys are buffered as copies', () => {
    // The server's first flight spans several datagrams (its certificate): delivered last
    // first, the Handshake-only datagrams wait for the keys of the Initial (RFC 9001 §5.7).
    let reversed = 0;
    const q = qlogRecords();
    const { p, link } = reusingPair((ds, direction) => {
      if (direction === 's2c' && ds.length > 1 && reversed++ === 0) return [...ds].reverse();
      return ds;
    }, () => makePair({ clientQlog: q.trace }));
    const undecryptable = (): number => (p.client as unknown as { undecryptable: unknown[] }).undecryptable.length;
    let buffered = 0;
    const inner = p.afterDatagram!;
    p.afterDatagram = (d) => {
      buffered = Math.max(buffered, undecryptable());
      inner(d);
    };
    handshake(p, link);
    expect(reversed).toBeGreaterThan(0);
    expect(buffered).toBeGreaterThan(0);
    // Buffered copies decrypt once the keys come; junk would be dropped (and the handshake
    // would finish later, on retransmissions).
    expect(q.records().filter((r) => r.name === 'transport:packet_dropped')).toEqual([]);
    exchange(p, link);
  });

  it('NEW_CONNECTION_ID: the stored stateless reset token still matches a reset from the peer', () => {
    const tokenFor = (cid: Uint8Array): Uint8Array => {
      const t = new Uint8Array(16);
      for (let i = 0; i < 16; i++) t[i] = (cid[i % cid.length]! * 7 + i) & 0xff;
      return t;
    };
    const { p, link } = reusingPair(undefined, () => {
      const pair = makePair();
      pair.serverResetTokenFor = tokenFor;
      return pair;
    });
    handshake(p, link);
    runFor(p, 50_000, link);
    const spare = issued(p.serverEvents);
    expect(spare.length).toBeGreaterThan(0);
    // RFC 9000 §10.3: a short-header-looking datagram that ends with a token the peer issued.
    const reset = new Uint8Array(43).fill(0x3c);
    reset[0] = 0x40 | 0x1f;
    reset.set(tokenFor(spare[spare.length - 1]!), reset.length - 16);
    const { link: once } = reusingLink((d) => d);
    const [copy] = once([reset], 's2c');
    p.client.receiveDatagram(copy!, p.serverAddress ?? { address: '10.0.0.2', port: 4433 }, p.now);
    const ended = [];
    for (let e = p.client.nextEvent(); e; e = p.client.nextEvent()) ended.push(e);
    expect(ended.some((e) => e.type === 'connection_terminated' && e.cause === 'stateless_reset')).toBe(true);
  });

  it('PATH_CHALLENGE: the response echoes the challenge, not what later overwrote it', () => {
    const q = qlogRecords();
    const { p, link } = reusingPair(undefined, () => makePair({ clientQlog: q.trace }));
    handshake(p, link);
    runFor(p, 50_000, link);
    // The server seems to move: the client validates the new path (RFC 9000 §9.3) and the
    // server answers from the challenge it copied.
    p.serverAddress = SERVER_ADDR_2;
    const id = p.server!.createStream();
    p.server!.sendStreamData(id, body(10, 5), true);
    const validated = (): boolean => q.records().some((r) => r.name === 'connectivity:path_validated');
    expect(runUntil(p, validated, { link, maxSteps: 200 })).toBe(true);
    exchange(p, link);
  });

  it('qlog records what the frames said, connection IDs included', () => {
    const q = qlogRecords();
    const { p, link } = reusingPair(undefined, () => makePair({ clientQlog: q.trace }));
    handshake(p, link);
    runFor(p, 50_000, link);
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    const logged = q.records()
      .filter((r) => r.name === 'transport:packet_received')
      .flatMap((r) => (r.data.frames as { frame_type: string; connection_id?: string }[]).filter((f) => f.frame_type === 'new_connection_id').map((f) => f.connection_id));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.sort()).toEqual(issued(p.serverEvents).map(hex).sort());
  });

  it('frames handed to a plugin (DATAGRAM, RFC 9221) arrive intact', () => {
    const manifest = fileURLToPath(new URL('../../../plugins-c/datagram/datagram.plugin', import.meta.url));
    const rt = PluginRuntime.load([manifest]);
    let ci: PluginInstance | undefined;
    let si: PluginInstance | undefined;
    const { p, link } = reusingPair(undefined, () => makePair({ beforeConnect: (c) => void ([ci] = rt.inject(c)) }));
    p.onServerCreated = (s) => void ([si] = rt.inject(s));
    handshake(p, link);
    const client = new DatagramChannel(ci!);
    const server = new DatagramChannel(si!);
    const sent = Array.from({ length: 20 }, (_, i) => body(100 + i * 37, i));
    for (const m of sent) expect(client.send(m)).toBe('queued');
    runFor(p, 200_000, link);
    const got = server.receiveAll();
    expect(got.length).toBe(sent.length);
    got.forEach((m, i) => expectSameBytes(m, sent[i]!));
  });

  it('the link really overwrites what it delivered (the tests can fail)', () => {
    const { link, afterDatagram } = reusingLink((d) => d);
    const [view] = link([body(100, 4)], 'c2s');
    expect(view![0]).toBe(4);
    afterDatagram(view!);
    expect(view!.every((b) => b === JUNK)).toBe(true);
  });
});
