/**
 * Connection IDs (RFC 9000 §5.1): the ones we issue (with their stateless reset tokens) and the
 * ones the peer issued to us, NEW_CONNECTION_ID / RETIRE_CONNECTION_ID, and stateless reset
 * detection (§10.3.1).
 */
import type { QuicConnection } from './connection.js';
import type { SentFrame } from './types.js';
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { frameLength, writeFrame, type Frame } from '../wire/frames/index.js';
import type { Writer } from '../wire/buffer.js';
import type { TransportParameters } from '../wire/transport-params.js';
import { bytesEqual, copyBytes } from '../wire/bytes.js';

interface HostCid {
  seq: number;
  cid: Uint8Array;
  resetToken: Uint8Array;
  /** NEW_CONNECTION_ID still to be sent (or resent after a loss). */
  pending: boolean;
}

interface PeerCid {
  seq: number;
  cid: Uint8Array;
  resetToken: Uint8Array | undefined;
}

/** We never keep more peer connection IDs than this, whatever the peer's limit. */
const MAX_ISSUED = 8;

export class ConnectionIds {
  private readonly cnx: QuicConnection;
  private readonly host = new Map<number, HostCid>();
  private nextHostSeq = 1;
  private readonly peer: PeerCid[] = [];
  private current: PeerCid;
  private readonly retirePending = new Set<number>();
  /** Host CIDs with `pending` set: hasFramesToSend runs per packet, a Map iterator would allocate. */
  private hostPending = 0;
  private largestRetirePriorTo = 0;
  private readonly resetTokenFor: (cid: Uint8Array) => Uint8Array;
  readonly hostCidLength: number;

  constructor(cnx: QuicConnection, hostCid: Uint8Array, peerCid: Uint8Array, resetTokenFor: (cid: Uint8Array) => Uint8Array) {
    this.cnx = cnx;
    this.resetTokenFor = resetTokenFor;
    this.hostCidLength = hostCid.length;
    this.host.set(0, { seq: 0, cid: hostCid, resetToken: resetTokenFor(hostCid), pending: false });
    this.current = { seq: 0, cid: peerCid, resetToken: undefined };
    this.peer.push(this.current);
  }

  get hostCid(): Uint8Array {
    return this.host.get(0)?.cid ?? [...this.host.values()][0]!.cid;
  }

  get peerCid(): Uint8Array {
    return this.current.cid;
  }

  activeHostCids(): Uint8Array[] {
    return [...this.host.values()].map((h) => h.cid);
  }

  /** Client: the server's chosen SCID (or a Retry's) replaces our random initial DCID. */
  setInitialPeerCid(cid: Uint8Array): void {
    this.current.cid = copyBytes(cid);
  }

  onPeerParams(p: TransportParameters): void {
    // The server's stateless_reset_token belongs to its handshake connection ID (§18.2).
    if (p.statelessResetToken) this.peer[0]!.resetToken = copyBytes(p.statelessResetToken);
  }

  /** After the handshake: give the peer spare connection IDs up to its limit (§5.1.1). */
  issueInitialCids(): void {
    if (this.hostCidLength === 0) return;
    const limit = Math.min(this.cnx.peerParams?.activeConnectionIdLimit ?? 2, MAX_ISSUED);
    while (this.host.size < limit) this.issue();
  }

  private issue(): void {
    const cid = this.cnx.provider.randomBytes(this.hostCidLength);
    const h: HostCid = { seq: this.nextHostSeq++, cid, resetToken: this.resetTokenFor(cid), pending: true };
    this.host.set(h.seq, h);
    this.hostPending++;
    this.cnx.pushEvent({ type: 'connection_id_issued', connectionId: cid });
  }

  onNewConnectionId(f: Extract<Frame, { type: 'new_connection_id' }>): void {
    if (this.current.cid.length === 0) {
      throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'NEW_CONNECTION_ID while using a zero-length connection ID');
    }
    const known = this.peer.find((p) => p.seq === f.sequenceNumber);
    if (known) {
      if (!bytesEqual(known.cid, f.connectionId)) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'a sequence number reused for another connection ID');
      return;
    }
    if (f.sequenceNumber < this.largestRetirePriorTo) {
      // Already retired by an earlier Retire Prior To (§19.15): retire it right away.
      this.retirePending.add(f.sequenceNumber);
      return;
    }
    this.peer.push({ seq: f.sequenceNumber, cid: copyBytes(f.connectionId), resetToken: copyBytes(f.statelessResetToken) });
    if (f.retirePriorTo > this.largestRetirePriorTo) {
      this.largestRetirePriorTo = f.retirePriorTo;
      for (let i = this.peer.length - 1; i >= 0; i--) {
        const p = this.peer[i]!;
        if (p.seq < f.retirePriorTo) {
          this.peer.splice(i, 1);
          this.retirePending.add(p.seq);
        }
      }
      if (!this.peer.includes(this.current)) this.current = this.peer.reduce((a, b) => (a.seq < b.seq ? a : b));
    }
    if (this.peer.length > this.cnx.config.activeConnectionIdLimit) {
      throw new QuicError(TransportErrorCode.CONNECTION_ID_LIMIT_ERROR, `the peer issued ${this.peer.length} connection IDs, above our limit of ${this.cnx.config.activeConnectionIdLimit}`);
    }
  }

  onRetireConnectionId(seq: number, now: number): void {
    void now;
    if (seq >= this.nextHostSeq) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, `RETIRE_CONNECTION_ID for ${seq}, never issued`);
    const h = this.host.get(seq);
    if (!h) return;
    this.host.delete(seq);
    if (h.pending) this.hostPending--;
    this.cnx.pushEvent({ type: 'connection_id_retired', connectionId: h.cid });
    this.issue();
  }

  hasFramesToSend(): boolean {
    return this.retirePending.size > 0 || this.hostPending > 0;
  }

  writeFrames(w: Writer, frames: SentFrame[], log: Frame[] | undefined): boolean {
    let wrote = false;
    for (const h of this.host.values()) {
      if (!h.pending) continue;
      const f: Frame = { type: 'new_connection_id', sequenceNumber: h.seq, retirePriorTo: 0, connectionId: h.cid, statelessResetToken: h.resetToken };
      if (w.remaining < frameLength(f)) break;
      writeFrame(w, f);
      frames.push({ k: 'new_connection_id', seq: h.seq });
      log?.push(f);
      h.pending = false;
      this.hostPending--;
      wrote = true;
    }
    for (const seq of this.retirePending) {
      const f: Frame = { type: 'retire_connection_id', sequenceNumber: seq };
      if (w.remaining < frameLength(f)) break;
      writeFrame(w, f);
      frames.push({ k: 'retire_connection_id', seq });
      log?.push(f);
      this.retirePending.delete(seq);
      wrote = true;
    }
    return wrote;
  }

  onNewConnectionIdAcked(seq: number): void {
    void seq;
  }

  onNewConnectionIdLost(seq: number): void {
    const h = this.host.get(seq);
    if (h && !h.pending) {
      h.pending = true;
      this.hostPending++;
    }
  }

  onRetireLost(seq: number): void {
    this.retirePending.add(seq);
  }

  isStatelessResetToken(token: Uint8Array): boolean {
    for (const p of this.peer) if (p.resetToken && bytesEqual(p.resetToken, token)) return true;
    return false;
  }
}

