/**
 * The CLI's --session-file (src/cli/session-file.ts): a missing file is no session, a garbage
 * file is a warning and no session, and a stored ticket survives to the next process.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionFile } from '../../../src/cli/session-file.js';
import { TLS_AES_128_GCM_SHA256 } from '../../../src/quic/crypto/provider.js';
import type { ClientSession } from '../../../src/quic/tls/session.js';

const dir = mkdtempSync(join(tmpdir(), 'pquic-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const session: ClientSession = {
  serverName: 'localhost', alpn: 'hq-interop', suite: TLS_AES_128_GCM_SHA256, psk: new Uint8Array(32).fill(1), ticket: Uint8Array.of(5, 6),
  lifetimeS: 60, ageAdd: 3, receivedAtMs: 1_764_000_000_000, maxEarlyData: 0, transportParameters: new Uint8Array(0),
};

describe('SessionFile', () => {
  it('starts empty without a file, then keeps what it is given for the same server name only', () => {
    const path = join(dir, 'a.bin');
    const f = new SessionFile(path);
    expect(f.loadError).toBeUndefined();
    expect(f.get('localhost')).toBeUndefined();
    f.set('localhost', session);
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    const again = new SessionFile(path);
    expect(again.get('localhost')).toEqual(session);
    expect(again.get('example.org')).toBeUndefined();
  });

  it('waits for a ticket not yet received: at once when one arrives, else for the time given', async () => {
    const f = new SessionFile(join(dir, 'wait.bin'));
    let t0 = performance.now();
    await f.waitForTicket(40);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    t0 = performance.now();
    const waiting = f.waitForTicket(10_000);
    setTimeout(() => f.set('localhost', session), 5);
    await waiting;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(f.received).toBe(1);
    // Already received: no wait at all.
    await f.waitForTicket(10_000);
  });

  it('ignores a file that holds no session, with a reason', () => {
    const path = join(dir, 'garbage.bin');
    writeFileSync(path, 'not a session');
    const f = new SessionFile(path);
    expect(f.loadError).toMatch(/ignoring .*garbage\.bin: decode_error/);
    expect(f.get('localhost')).toBeUndefined();
    // The next ticket replaces the garbage.
    f.set('localhost', session);
    expect(readFileSync(path).length).toBeGreaterThan(13);
  });
});
