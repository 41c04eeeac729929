/**
 * The endpoint's pull reads over real UDP: QuicStream.onReadable + read into the application's
 * buffer, with the handler set late (bytes wait in the connection meanwhile), and onData on
 * the other side (views taken from the same pull-mode connection).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { QuicServer } from '../../../src/quic/endpoint/server.js';
import type { QuicSession } from '../../../src/quic/endpoint/session.js';
import { connectClient, sleep, testIdentity, within } from './helpers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

describe('QuicStream pull reads', () => {
  it('reads a 300 KB upload with onReadable/read set late, and answers with its digest', async () => {
    const id = testIdentity();
    let reads = 0;
    const server = await QuicServer.listen({
      host: '127.0.0.1', port: 0, config: { certificateChain: [id.certDer], privateKey: id.privateKey },
    }, (session: QuicSession) => {
      session.onStream((stream) => {
        const hash = createHash('sha256');
        let total = 0;
        const buf = new Uint8Array(5000);
        // The handler comes later: the bytes wait in the connection, flow control holds the peer.
        void sleep(50).then(() => stream.onReadable(() => {
          for (;;) {
            const n = stream.read(buf, 7, 4000);
            if (n === 0) return;
            if (n < 0) {
              stream.write(new TextEncoder().encode(`${total} ${hash.digest('hex')}`), true);
              return;
            }
            reads++;
            total += n;
            hash.update(buf.subarray(7, 7 + n));
          }
        }));
      });
    });
    open.push(server);
    const client = await connectClient(server.address.port);
    open.push(client);
    const body = new Uint8Array(300_000).map((_, i) => (i * 11) & 0xff);
    const s = client.session.openStream(true);
    const answer = new Promise<string>((resolve) => {
      const parts: Uint8Array[] = [];
      s.onData((data, fin) => {
        parts.push(data);
        if (fin) resolve(Buffer.concat(parts).toString());
      });
    });
    s.write(body, true);
    const got = await within(answer, 10_000, 'the answer');
    expect(got).toBe(`300000 ${createHash('sha256').update(body).digest('hex')}`);
    // At most 4000 bytes per read: many reads, each into the same buffer.
    expect(reads).toBeGreaterThanOrEqual(75);
    expect(server.stats.handlerErrors).toBe(0);
    expect(server.stats.appErrors).toBe(0);
  });
});
