import { describe, expect, it } from 'vitest';
import { collectStream, handshake, lossyLink, makePair, runUntil } from './harness.js';

describe('QuicConnection in memory', () => {
  it('completes a handshake and negotiates ALPN', () => {
    const p = makePair();
    handshake(p);
    expect(p.client.state).toBe('connected');
    expect(p.server!.state).toBe('connected');
    expect(p.client.alpn).toBe('hq-interop');
    expect(p.client.handshakeConfirmed).toBe(true);
  });

  it('transfers stream data both ways', () => {
    const p = makePair();
    handshake(p);
    const id = p.client.createStream();
    const req = new TextEncoder().encode('GET /index.html\r\n');
    p.client.sendStreamData(id, req, true);
    runUntil(p, () => collectStream(p.serverEvents, id).fin);
    expect(new TextDecoder().decode(collectStream(p.serverEvents, id).data)).toBe('GET /index.html\r\n');
    const body = new Uint8Array(200_000).map((_, i) => i * 7);
    p.server!.sendStreamData(id, body, true);
    expect(runUntil(p, () => collectStream(p.clientEvents, id).fin)).toBe(true);
    expect(Buffer.compare(collectStream(p.clientEvents, id).data, body)).toBe(0);
  });

  it('completes handshake and transfer over a 10% lossy link', () => {
    for (const seed of [1, 2, 3]) {
      const p = makePair();
      const link = lossyLink(seed, { drop: 0.1, duplicate: 0.02, reorder: 0.1 });
      handshake(p, link);
      const id = p.client.createStream();
      p.client.sendStreamData(id, new TextEncoder().encode('GET /x\r\n'), true);
      runUntil(p, () => collectStream(p.serverEvents, id).fin, { link, maxSteps: 5000 });
      const body = new Uint8Array(300_000).map((_, i) => (i * 13) & 0xff);
      p.server!.sendStreamData(id, body, true);
      expect(runUntil(p, () => collectStream(p.clientEvents, id).fin, { link, maxSteps: 20000 }), `seed ${seed}`).toBe(true);
      expect(Buffer.compare(collectStream(p.clientEvents, id).data, body)).toBe(0);
    }
  });
});
