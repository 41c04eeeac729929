/**
 * Scheduling of reserved frames (PQUIC's reserve_frames, reference/pquic.md §6.6): the plugin
 * share of the congestion window, rate_unlimited, frames outside congestion control, and
 * per-owner ordering. The reserved "frame" here is a PING followed by PADDING, which any peer
 * accepts, so the tests need no parser on the other side.
 */
import { describe, expect, it } from 'vitest';
import { collectStream, handshake, makePair, runUntil, SERVER_ADDR, type Pair } from './harness.js';
import { PLUGIN_CWND_SHARE, type QuicConnection } from '../../../src/quic/connection/connection.js';
import type { Writer } from '../../../src/quic/wire/buffer.js';

const TYPE = 0x5f0;

interface Written { owner: string; cc: boolean; windowFull: boolean; streamsWaiting: boolean; inFlight: number; cwnd: number }

/** write_frame[TYPE]: the ctx names owner and congestion control; records the conditions. */
function installWriter(cnx: QuicConnection, log: Written[]): void {
  cnx.protoops.define('write_frame', (w: Writer, max: number, ctx: { owner: string; cc: boolean }) => {
    w.u8(0x01);
    for (let i = 1; i < max; i++) w.u8(0x00);
    log.push({ owner: ctx.owner, cc: ctx.cc, windowFull: !cnx.cc.canSend(1200), streamsWaiting: cnx.streams.hasDataToSend(), inFlight: cnx.pluginInFlight(ctx.owner), cwnd: cnx.cc.congestionWindow });
    return max;
  }, TYPE);
  cnx.protoops.define('notify_frame', () => undefined, TYPE);
}

function reserve(cnx: QuicConnection, owner: string, n: number, bytes: number, opts: { cc?: boolean; unlimited?: boolean } = {}): void {
  const cc = opts.cc ?? true;
  for (let i = 0; i < n; i++) {
    expect(cnx.reserveFrame(TYPE, bytes, { owner, cc }, { owner, congestionControlled: cc, rateUnlimited: opts.unlimited ?? false })).toBe(true);
  }
}

/** The server sends `size` bytes on a stream the client opened; returns when all arrived. */
function download(p: Pair, size: number, during?: () => void): void {
  const id = p.client.createStream();
  p.client.sendStreamData(id, new TextEncoder().encode('GET\r\n'), true);
  runUntil(p, () => collectStream(p.serverEvents, id).fin);
  p.server!.sendStreamData(id, new Uint8Array(size), true);
  expect(runUntil(p, () => {
    during?.();
    return collectStream(p.clientEvents, id).fin;
  }, { maxSteps: 20000 })).toBe(true);
}

describe('reserved frames', () => {
  it('one owner fills at most its share of the window while streams wait; others are not held back', () => {
    const p = makePair();
    handshake(p);
    const srv = p.server!;
    const log: Written[] = [];
    installWriter(srv, log);
    reserve(srv, 'a', 150, 1000);
    reserve(srv, 'b', 40, 20);
    let maxRatio = 0;
    download(p, 1_000_000, () => {
      if (srv.streams.hasDataToSend()) maxRatio = Math.max(maxRatio, srv.pluginInFlight('a') / srv.cc.congestionWindow);
    });
    runUntil(p, () => false, { maxSteps: 50 });
    // Every frame went out; 'a' never had more than its share in flight when it was written.
    expect(log.filter((w) => w.owner === 'a')).toHaveLength(150);
    expect(log.filter((w) => w.owner === 'b')).toHaveLength(40);
    const whileStreamsWait = log.filter((x) => x.owner === 'a' && x.streamsWaiting);
    expect(whileStreamsWait.length).toBeGreaterThan(100);
    for (const w of whileStreamsWait) expect(w.inFlight + 1000).toBeLessThanOrEqual(w.cwnd * PLUGIN_CWND_SHARE);
    // It did get a real part of the window.
    expect(maxRatio).toBeGreaterThan(PLUGIN_CWND_SHARE / 2);
    // 'b' was written while 'a' waited for its share: its last frame went out before a's last.
    const last = (owner: string) => log.map((w) => w.owner).lastIndexOf(owner);
    expect(last('b')).toBeLessThan(last('a'));
    // Acknowledged: nothing is counted in flight any more.
    expect(srv.pluginInFlight('a')).toBe(0);
  });

  it('rate_unlimited lifts the share', () => {
    const p = makePair();
    handshake(p);
    const srv = p.server!;
    const log: Written[] = [];
    installWriter(srv, log);
    reserve(srv, 'u', 150, 1000, { unlimited: true });
    download(p, 1_000_000);
    expect(log).toHaveLength(150);
    // Written while streams waited, beyond what the share would have allowed.
    expect(log.filter((w) => w.streamsWaiting && w.inFlight + 1000 > w.cwnd * PLUGIN_CWND_SHARE).length).toBeGreaterThan(5);
  });

  it('frames outside congestion control ride on packets sent with the window full', () => {
    const p = makePair();
    handshake(p);
    const log: Written[] = [];
    installWriter(p.client, log);
    // Both ends send, so the client has ACKs to send while its own window is full.
    const up = p.client.createStream();
    p.client.sendStreamData(up, new Uint8Array(400_000), true);
    const id = p.client.createStream();
    p.client.sendStreamData(id, new TextEncoder().encode('GET\r\n'), true);
    runUntil(p, () => collectStream(p.serverEvents, id).fin);
    p.server!.sendStreamData(id, new Uint8Array(400_000), true);
    runUntil(p, () => false, { maxSteps: 3 });
    // The client sends a burst that does not arrive yet, and its window is closed where it
    // stands (as a congestion-control plugin may, with set_path(AK_PATH_CWIN)); then the
    // server's data arrives, which the client must acknowledge.
    const held = p.client.datagramsToSend(p.now);
    p.client.afterSend(p.now);
    expect(held.length).toBeGreaterThan(0);
    p.client.cc.congestionWindow = p.client.cc.bytesInFlight;
    for (const d of p.server!.datagramsToSend(p.now)) p.client.receiveDatagram(d.data, SERVER_ADDR, p.now);
    p.server!.afterSend(p.now);
    expect(p.client.cc.canSend(1200)).toBe(false);
    reserve(p.client, 'n', 1, 30, { cc: false });
    reserve(p.client, 'c', 1, 30, { cc: true });
    const sent = p.client.datagramsToSend(p.now);
    p.client.afterSend(p.now);
    // One ACK packet, carrying the frame outside congestion control; the other one waits.
    expect(sent).toHaveLength(1);
    expect(log).toEqual([expect.objectContaining({ owner: 'n', windowFull: true })]);
    expect(p.client.pluginInFlight('n')).toBe(0);
    expect(runUntil(p, () => collectStream(p.serverEvents, up).fin && collectStream(p.clientEvents, id).fin, { maxSteps: 20000 })).toBe(true);
    expect(log.map((w) => w.owner)).toEqual(['n', 'c']);
  });
});
