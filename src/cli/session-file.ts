/**
 * The client's --session-file: one resumable TLS session (a server's ticket and its PSK) kept in
 * a file between runs, so the next run to the same server resumes (RFC 8446 §2.2). The file holds
 * a secret, so it is written with mode 0600; a missing or unreadable file just means no session.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeClientSession, encodeClientSession, type ClientSession, type SessionCache } from '../quic/tls/session.js';

export class SessionFile implements SessionCache {
  private session: ClientSession | undefined;
  /** Why the file held no usable session, for a warning. */
  readonly loadError: string | undefined;

  constructor(readonly path: string) {
    let bytes: Uint8Array | undefined;
    try {
      // A plain Uint8Array: Buffer's slice() makes views, not the copies the decoder means.
      bytes = new Uint8Array(readFileSync(path));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.loadError = `cannot read ${path}: ${code ?? (e as Error).message}`;
    }
    if (bytes !== undefined) {
      try {
        this.session = decodeClientSession(bytes);
      } catch (e) {
        this.loadError = `ignoring ${path}: ${(e as Error).message}`;
      }
    }
  }

  get(serverName: string): ClientSession | undefined {
    return this.session?.serverName === serverName ? this.session : undefined;
  }

  /** Tickets received in this run. */
  received = 0;
  private waiter: (() => void) | undefined;

  /**
   * Resolves once a ticket has arrived in this run, or after `ms`. A server sends its tickets
   * right after the handshake (RFC 8446 §4.6.1), but a short download can end before a lost
   * ticket's retransmission arrives: the client waits this long for one before closing.
   */
  waitForTicket(ms: number): Promise<void> {
    if (this.received > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiter = undefined; resolve(); }, ms);
      this.waiter = () => { clearTimeout(timer); this.waiter = undefined; resolve(); };
    });
  }

  /** Keeps the newest ticket; a failed write loses only the next run's resumption. */
  set(_serverName: string, session: ClientSession): void {
    this.session = session;
    this.received++;
    this.waiter?.();
    try {
      writeFileSync(this.path, encodeClientSession(session), { mode: 0o600 });
    } catch {
      // Resumption is an optimization: the download goes on.
    }
  }
}
