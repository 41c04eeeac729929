/**
 * Guards the premise of a receive path that reuses one buffer for every datagram (issue 3): the
 * core must copy every received byte it keeps past the datagram's processing (connection IDs,
 * tokens, CRYPTO and STREAM data, event payloads). The link below hands each batch of datagrams
 * to the receiver in buffers it owns and reuses, and fills them with junk before the next batch,
 * so a view kept anywhere would see junk: the handshake's checks would fail or the delivered
 * stream data would differ.
 */
import { describe, expect, it } from 'vitest';
import { collectStream, handshake, lossyLink, makePair, runUntil, type Link } from './harness.js';

const JUNK = 0xa5;
const SLOT_SIZE = 1 << 16;

/** A link that copies each datagram of a batch into slot k of a pool reused for every batch. */
function reusingLink(inner: Link): { link: Link; scribble: () => void } {
  const slots: Uint8Array[] = [];
  const scribble = (): void => {
    for (const s of slots) s.fill(JUNK);
  };
  const link: Link = (datagrams, direction) => {
    // Whatever the previous batch left in the buffers is gone, as with a reused socket buffer.
    scribble();
    const out = inner(datagrams, direction);
    return out.map((d, k) => {
      const slot = (slots[k] ??= new Uint8Array(SLOT_SIZE));
      slot.set(d);
      return slot.subarray(0, d.length);
    });
  };
  return { link, scribble };
}

function body(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function exchange(lossy: boolean): void {
  const p = makePair();
  const { link, scribble } = reusingLink(lossy ? lossyLink(7, { drop: 0.05, duplicate: 0.05, reorder: 0.3 }) : (d) => d);
  handshake(p, link);
  expect(p.client.state).toBe('connected');
  expect(p.server!.state).toBe('connected');

  const request = body(3000, 1);
  const reply = body(300_000, 2);
  const id = p.client.createStream();
  p.client.sendStreamData(id, request, true);
  expect(runUntil(p, () => collectStream(p.serverEvents, id).fin, { link, maxSteps: 20_000 })).toBe(true);
  p.server!.sendStreamData(id, reply, true);
  expect(runUntil(p, () => collectStream(p.clientEvents, id).fin, { link, maxSteps: 20_000 })).toBe(true);
  scribble();

  // Checked after the buffers were overwritten: what the events carry must be the peer's bytes.
  expect(Buffer.from(collectStream(p.serverEvents, id).data).equals(Buffer.from(request))).toBe(true);
  expect(Buffer.from(collectStream(p.clientEvents, id).data).equals(Buffer.from(reply))).toBe(true);

  // The connections still work on what they stored (CIDs, keys, stream state): a second stream.
  const id2 = p.client.createStream();
  const again = body(50_000, 3);
  p.client.sendStreamData(id2, again, true);
  expect(runUntil(p, () => collectStream(p.serverEvents, id2).fin, { link, maxSteps: 20_000 })).toBe(true);
  scribble();
  expect(Buffer.from(collectStream(p.serverEvents, id2).data).equals(Buffer.from(again))).toBe(true);
  expect(p.client.state).toBe('connected');
  expect(p.server!.state).toBe('connected');
}

describe('received bytes outlive a reused receive buffer', () => {
  it('on a perfect link', () => exchange(false));
  it('on a lossy, duplicating, reordering link', () => exchange(true));

  it('the link really overwrites what it delivered (the test can fail)', () => {
    const { link, scribble } = reusingLink((d) => d);
    const [view] = link([body(100, 4)], 'c2s');
    scribble();
    expect(view!.every((b) => b === JUNK)).toBe(true);
  });
});
