/**
 * A QUIC v1 connection (RFC 9000, 9001, 9002), sans-IO in aioquic's shape: feed it datagrams
 * and timer expiries with the current time, take the datagrams it wants sent, its next timer and
 * its events. It owns no socket and reads no clock.
 *
 * Every protocol operation runs through the connection's protoop table under PQUIC's names
 * (reference/pquic.md §2.4): frames are parsed, processed and written through `parse_frame`,
 * `process_frame` and `write_frame` keyed by frame type, and the recovery, scheduling and
 * observation points are slots a plugin can replace or observe. The connection knows nothing of
 * plugins: the plugin runtime attaches hooks to `connection.protoops`.
 */
import { type QuicConfiguration } from '../config.js';
import type { QuicEvent, StreamDataReceived } from '../events.js';
import { SlotQueue } from '../slot-queue.js';
import { getProvider } from '../crypto/index.js';
import { initialSecrets } from '../crypto/initial.js';
import { OneRttKeys } from '../crypto/key-update.js';
import { AEAD_TAG_LENGTH, PacketProtector, UnprotectedPacketView } from '../crypto/packet-protection.js';
import type { CipherSuite, CryptoProvider } from '../crypto/provider.js';
import { TLS_AES_128_GCM_SHA256 } from '../crypto/provider.js';
import { verifyRetryIntegrity } from '../crypto/retry.js';
import { ProtoopTable, type AnyFn, type ProtoopEntry } from '../protoop/table.js';
import { NO_PARAM } from '../protoop/names.js';
import { NULL_QLOG, type QlogTrace } from '../qlog/writer.js';
import { packetHeader, qlogFrame } from '../qlog/frames.js';
import { LossDetection, type AckResult, type LossTimeoutResult } from '../recovery/loss-detection.js';
import { NewReno } from '../recovery/newreno.js';
import { PacketNumberSpace } from '../recovery/space.js';
import type { SentPacket } from '../recovery/sent-packets.js';
import { TlsAlert, TlsContext, type Epoch } from '../tls/context.js';
import { Reader, Writer } from '../wire/buffer.js';
import { QuicError, TransportErrorCode, isCryptoError } from '../wire/errors.js';
import {
  AckFrameView, FRAME_PARSERS, FrameType, MaxDataFrameView, MaxStreamDataFrameView, StreamFrameView, checkFrameAllowedInPacket, isAckEliciting,
  parseAckFrame, parseMaxDataFrame, parseMaxStreamDataFrame, parsePaddingFrame, parsePaddingInto, parsePingFrame, parseStreamFrame, readFrameType,
  type AckFrame, type Frame, type MaxDataFrame, type MaxStreamDataFrame, type PaddingFrame, type PingFrame, type StreamFrame,
} from '../wire/frames/index.js';
import {
  ShortHeaderView, newHeaderOffsets, parsePacketHeader, patchLongHeaderLength, writeLongHeader, writeShortHeader, type ShortHeaderFields,
  type LongProtectedPacketType, type PacketHeader,
} from '../wire/header.js';
import { HEADER_FORM_LONG } from '../wire/invariants.js';
import { packetNumberLength } from '../wire/packet-number.js';
import {
  decodeTransportParameters, defaultTransportParameters, encodeTransportParameters, type TransportParameters,
} from '../wire/transport-params.js';
import { PacketSpace } from './packet-space.js';
import { StreamManager, type StreamReads } from './streams.js';
import { LengthViews } from '../wire/length-views.js';
import { ConnectionIds } from './connection-ids.js';
import { addressKey, sameAddress, type ConnectionState, type PeerAddress, type SentFrame } from './types.js';
import { bytesEqual, copyBytes, toHex as hex } from '../wire/bytes.js';
import { putFrame } from './put-frame.js';
import { SentRecordPool } from './sent-records.js';
import { ZERO_RTT_MIN_PACKET, ZeroRttAttempt, type EarlyDataOutcome } from './zero-rtt.js';
import { earlyDataParamsCompatible } from '../tls/early-data.js';

const EPOCH_SPACE: Record<Epoch, PacketNumberSpace | undefined> = {
  initial: PacketNumberSpace.Initial,
  zeroRtt: undefined,
  handshake: PacketNumberSpace.Handshake,
  oneRtt: PacketNumberSpace.ApplicationData,
};
type ScratchAck = Extract<Frame, { type: 'ack' }>;
/** What the scratch ACK frame holds between packets (nothing of the ACK manager's). */
const NO_RANGES: ScratchAck['ranges'] = [];
/**
 * How received stream data reaches the application (QuicConnection.setStreamReads): the
 * stream manager's push or pull, or `lent`, push events over pull-mode streams.
 */
export type StreamReadMode = StreamReads | 'lent';
/** idleDeadline when no idle timer runs (deadlines are never negative: connection time starts at 0 or later). */
const NO_IDLE_DEADLINE = -1;
const SPACE_EPOCH: readonly Epoch[] = ['initial', 'handshake', 'oneRtt'];
const SPACE_PACKET_TYPE: readonly ('initial' | 'handshake' | '1RTT')[] = ['initial', 'handshake', '1RTT'];
/** Datagrams of the congestion window 0-RTT leaves to the handshake (see buildDatagram). */
const ZERO_RTT_CWND_RESERVE = 3;
/** The order of a datagram's packets (RFC 9000 §12.2): by encryption level, 0-RTT after Initial. */
const SPACE_ORDER: readonly PacketNumberSpace[] = [PacketNumberSpace.Initial, PacketNumberSpace.Handshake, PacketNumberSpace.ApplicationData];
const ZERO_RTT_ORDER: readonly PacketNumberSpace[] = [PacketNumberSpace.Initial, PacketNumberSpace.ApplicationData, PacketNumberSpace.Handshake];

/**
 * The PING a PTO probe carries when it has nothing else ack-eliciting (RFC 9002 §6.2.4), and its
 * record for loss recovery (no uid: nothing to report when acknowledged, nothing to resend when
 * lost). Shared and frozen: written and read, never changed, so no objects per probe.
 */
const PROBE_PING_FRAME: Frame = Object.freeze({ type: 'ping' });
const PROBE_PING_SENT: SentFrame = Object.freeze({ k: 'ping' });
/** A received PING while no one keeps frames (see parsePingInPlace). */
const RECEIVED_PING: PingFrame = Object.freeze({ type: 'ping' });

/** RFC 9000 §14.1: a client's Initial datagrams (and a server's ack-eliciting ones) are at least 1200 bytes. */
const MIN_INITIAL_DATAGRAM = 1200;
/** RFC 9000 §8.1: before address validation a server sends at most 3× what it received. */
const AMPLIFICATION_FACTOR = 3;
/** datagramsToSend returns at most this many datagrams per call. */
const MAX_DATAGRAMS_PER_CALL = 64;
/** Datagrams a connection buffers while it waits for the keys to read them (RFC 9001 §5.7). */
const MAX_UNDECRYPTABLE = 16;
/** Bytes of stateless reset token at the end of a datagram (RFC 9000 §10.3). */
const RESET_TOKEN_LENGTH = 16;
/** RFC 9221 §3. */
const TRANSPORT_PARAMETER_MAX_DATAGRAM_FRAME_SIZE = 0x20;
/**
 * The share of the congestion window one plugin's congestion-controlled frames may occupy while
 * streams have data to send (PQUIC's 1000 - core_rate per mille, core_rate = 500).
 */
export const PLUGIN_CWND_SHARE = 0.5;

/** How a reserved frame is scheduled (see QuicConnection.reserveFrame). */
export interface ReserveOptions {
  /** Who reserved it (a plugin name): the share of the window is counted per owner. */
  owner?: string;
  /** Counts against the congestion window (default true). */
  congestionControlled?: boolean;
  /** Exempt from the plugin share of the window (PQUIC's rate_unlimited option). */
  rateUnlimited?: boolean;
}

interface ReservedFrame {
  type: number;
  bytes: number;
  ctx: unknown;
  owner: string;
  cc: boolean;
  unlimited: boolean;
}

/** The non-parametrable protoops of the core, with their TypeScript signatures. */
export interface CoreOps {
  update_rtt(latestRttUs: number, ackDelayUs: number, now: number): void;
  update_ack_delay(space: PacketNumberSpace): number;
  is_ack_needed(space: PacketNumberSpace, now: number): boolean;
  retransmit_needed(space: PacketNumberSpace, now: number): void;
  packet_was_lost(packet: SentPacket, space: PacketNumberSpace): void;
  fast_retransmit(packet: SentPacket, space: PacketNumberSpace): void;
  retransmission_timeout(space: PacketNumberSpace, probes: number): void;
  congestion_algorithm_notify(event: 'acked' | 'lost' | 'persistent_congestion', bytes: number, now: number): void;
  set_next_wake_time(now: number): number | undefined;
  received_packet(type: string, pn: number, size: number, payload: Uint8Array, payloadLength: number): void;
  /**
   * A 1-RTT packet's plaintext just before protection (PQUIC's finalize_and_protect_packet):
   * `buffer` holds the frames in [0, used) and room up to its end; returns the bytes used, so a
   * replace may append frames (an FEC source symbol id). Observers only read it.
   */
  finalize_and_protect_packet(space: PacketNumberSpace, pn: number, buffer: Uint8Array, used: number): number;
  /** How many bytes of this packet the stream scheduler may fill (PQUIC's stream_bytes_max). */
  stream_bytes_max(space: PacketNumberSpace, remaining: number): number;
  header_parsed(header: PacketHeader, pn: number, space: PacketNumberSpace): void;
  header_prepared(type: string, pn: number): void;
  before_sending_packet(type: string, pn: number, size: number): void;
  stream_opened(streamId: number): void;
  stream_closed(streamId: number): void;
  stream_flags_changed(streamId: number): void;
  connection_state_changed(from: ConnectionState, to: ConnectionState): void;
  prepare_packet_ready(space: PacketNumberSpace, w: Writer, frames: SentFrame[], now: number): void;
  schedule_frames_on_path(w: Writer, frames: SentFrame[], now: number): void;
  select_sending_path(): PeerAddress;
  get_destination_connection_id(): Uint8Array;
  connection_error(code: number, frameType: number, reason: string): void;
  peer_address_changed(from: PeerAddress, to: PeerAddress): void;
  unknown_tp_received(id: number | bigint, value: Uint8Array): void;
}

export interface ConnectionOptions {
  /** Current time in microseconds at creation. */
  now: number;
  /** Client: the server's address. Server: the client's address of its first Initial. */
  peerAddress: PeerAddress;
  /**
   * Server: the DCID of the client's first Initial. Client: the DCID of its first Initial
   * (random by default; give it to name a qlog file before the connection exists).
   */
  originalDcid?: Uint8Array;
  /** Server: the client's SCID from its first Initial. */
  peerCid?: Uint8Array;
  /** Server: when it sent a Retry, the SCID of that Retry (retry_source_connection_id). */
  retrySourceCid?: Uint8Array;
  /** Server: the DCID of the Initial that creates the connection (Initial keys); default retrySourceCid ?? originalDcid. */
  initialDcid?: Uint8Array;
  /** Our first connection ID (random by default). */
  hostCid?: Uint8Array;
  /** Stateless reset token for a connection ID we issue (RFC 9000 §10.3.2); random by default. */
  resetTokenFor?: (cid: Uint8Array) => Uint8Array;
  qlog?: QlogTrace;
  /** How received stream data reaches the application (default push; see setStreamReads). */
  streamReads?: StreamReads;
}

interface ReceivedPacket {
  space: PacketNumberSpace;
  type: 'initial' | '0RTT' | 'handshake' | '1RTT';
  pn: number;
  ackEliciting: boolean;
}

export class QuicConnection {
  readonly config: QuicConfiguration;
  readonly isClient: boolean;
  readonly provider: CryptoProvider;
  readonly protoops = new ProtoopTable<CoreOps>();
  readonly qlog: QlogTrace;

  state: ConnectionState = 'attempted';
  readonly spaces: readonly [PacketSpace, PacketSpace, PacketSpace];
  readonly loss: LossDetection;
  readonly cc: NewReno;
  readonly streams: StreamManager;
  readonly cids: ConnectionIds;
  /** Created when the handshake starts, after plugins had their chance to add transport parameters. */
  private tlsContext: TlsContext | undefined;

  /** Client: the DCID of its first Initial; server: the same value as received. */
  readonly originalDcid: Uint8Array;
  peerAddress: PeerAddress;
  localParams: TransportParameters;
  peerParams: TransportParameters | undefined;
  handshakeConfirmed = false;
  /** Stats, for the CLI summary and qlog. */
  readonly stats = { packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0, packetsLost: 0, handshakeDoneUs: 0 };

  private readonly events = new SlotQueue<QuicEvent>();
  private readonly startUs: number;
  private retryToken: Uint8Array = new Uint8Array(0);
  private retrySourceCid: Uint8Array | undefined;
  private receivedRetry = false;
  private peerInitialScid: Uint8Array | undefined;
  /** Server: the client's address is validated (RFC 9000 §8.1). */
  private addressValidated: boolean;
  private amplificationReceived = 0;
  private amplificationSent = 0;
  /**
   * When the idle timer fires (RFC 9000 §10.1), or NO_IDLE_DEADLINE: none (closed, or neither end
   * announced an idle timeout). A small integer either way: a field that ever held Infinity or
   * another double is read boxed (a HeapNumber per read) by V8's unoptimised tiers, and the
   * timer computation reads it at every send and receive (issue 3).
   */
  private idleDeadline = NO_IDLE_DEADLINE;
  private closeDeadline: number | undefined;
  private closeFrame: Frame | undefined;
  private closeSentAt = -Infinity;
  private pendingHandshakeDone = false;
  private pendingPing: number | undefined;
  /**
   * PTO probes still to send (RFC 9002 §6.2.4): how many (0: none) and in which space. Two
   * fields, not an object per PTO.
   */
  private probeCount = 0;
  private probeSpace: PacketNumberSpace = PacketNumberSpace.Initial;
  private readonly pendingPathResponses: Uint8Array[] = [];
  private pathChallenge: { data: Uint8Array; address: PeerAddress; sentAt: number } | undefined;
  private readonly undecryptable: { data: Uint8Array; from: PeerAddress; space: PacketNumberSpace }[] = [];
  private readonly sendBuffer: Uint8Array;
  private readonly offsets = newHeaderOffsets();
  private pingUid = 0;
  private firstPacketReceived = false;
  private ackElicitingSentSinceReceive = false;

  constructor(config: QuicConfiguration, opts: ConnectionOptions) {
    this.config = config;
    this.isClient = config.isClient;
    this.provider = getProvider(config.crypto);
    this.qlog = opts.qlog ?? NULL_QLOG;
    this.startUs = opts.now;
    this.peerAddress = opts.peerAddress;
    this.datagramDestination = opts.peerAddress;
    this.addressValidated = this.isClient;
    const maxAckDelayUs = config.maxAckDelayMs * 1000;
    this.spaces = [
      new PacketSpace(PacketNumberSpace.Initial, 0),
      new PacketSpace(PacketNumberSpace.Handshake, 0),
      new PacketSpace(PacketNumberSpace.ApplicationData, maxAckDelayUs),
    ];
    this.cc = new NewReno({ maxDatagramSize: config.maxDatagramSize });
    this.loss = new LossDetection({ isClient: this.isClient, congestion: this.cc });
    this.sendBuffer = new Uint8Array(Math.max(config.maxDatagramSize, MIN_INITIAL_DATAGRAM));

    const hostCid = opts.hostCid ?? this.provider.randomBytes(config.connectionIdLength);
    const resetTokenFor = opts.resetTokenFor ?? (() => this.provider.randomBytes(RESET_TOKEN_LENGTH));
    if (this.isClient) {
      this.originalDcid = opts.originalDcid ? copyBytes(opts.originalDcid) : this.provider.randomBytes(8);
      if (this.originalDcid.length < 8) throw new Error('a client\'s first Destination Connection ID has at least 8 bytes (RFC 9000 §7.2)');
      this.cids = new ConnectionIds(this, hostCid, this.originalDcid, resetTokenFor);
    } else {
      if (!opts.originalDcid || !opts.peerCid) throw new Error('a server connection needs originalDcid and peerCid');
      // Copies: the host may hand in views of a receive buffer it reuses for the next datagram.
      this.originalDcid = copyBytes(opts.originalDcid);
      this.peerInitialScid = copyBytes(opts.peerCid);
      this.retrySourceCid = opts.retrySourceCid && copyBytes(opts.retrySourceCid);
      if (opts.retrySourceCid) this.addressValidated = true; // RFC 9000 §8.1.2: a Retry token validates
      this.cids = new ConnectionIds(this, copyBytes(hostCid), this.peerInitialScid, resetTokenFor);
    }
    this.streams = new StreamManager(this);
    if (opts.streamReads !== undefined) this.setStreamReads(opts.streamReads);
    this.localParams = this.buildLocalParams(resetTokenFor(hostCid));
    this.installInitialKeys(this.isClient ? this.originalDcid : opts.initialDcid ?? opts.retrySourceCid ?? opts.originalDcid!);
    this.defineCoreProtoops();
    this.armIdleTimer(opts.now);
    if (this.qlog.enabled) {
      this.qlog.event(opts.now, 'connectivity:connection_started', {
        src_cid: hex(hostCid), dst_cid: hex(this.cids.peerCid),
        dst_ip: opts.peerAddress.address, dst_port: opts.peerAddress.port,
      });
    }
  }

  // ---------------------------------------------------------------- application API

  /** Client: starts the handshake. */
  connect(now: number): void {
    if (!this.isClient) throw new Error('connect() is for clients');
    if (this.state !== 'attempted') throw new Error('connect() was already called');
    this.lastNow = now;
    this.tls.start();
    this.drainTls();
    this.setState('handshake', now);
  }

  /** Opens a locally initiated stream; throws QuicError STREAM_LIMIT_ERROR when the peer's limit is reached. */
  createStream(bidirectional = true): number {
    return this.streams.create(bidirectional);
  }

  /** Whether the peer's MAX_STREAMS allows opening another stream now. */
  canCreateStream(bidirectional = true): boolean {
    return this.streams.canCreate(bidirectional);
  }

  sendStreamData(streamId: number, data: Uint8Array, fin = false): void {
    this.streams.write(streamId, data, fin);
  }

  resetStream(streamId: number, errorCode: number): void {
    this.streams.reset(streamId, errorCode);
  }

  stopSending(streamId: number, errorCode: number): void {
    this.streams.stopSending(streamId, errorCode);
  }

  /**
   * `push` (the default): after each datagram, a `stream_data` event hands over a view of each
   * stream's new bytes. `pull`: a `stream_readable` event says bytes (or the end) wait, and
   * `readStream` copies them into the application's buffer: no allocation per packet, and
   * flow-control credit is returned only as the application reads (RFC 9000 §4.1), so a slow
   * reader holds the sender back instead of buffering without bound. `lent`: `stream_data`
   * events as in push mode, but the bytes are copied into `buffer` (the application's, at
   * least 1 byte) when `nextEvent` returns the event, and the event object and its `data` view
   * are reused: both are valid only until the next `nextEvent` call (copy what must be kept).
   * No allocation per delivery; credit is returned as events are taken, as in pull mode; a
   * stream with more than `buffer` holds gets further events. Bytes already queued in
   * `stream_data` events stay there when switching.
   */
  setStreamReads(mode: StreamReadMode, buffer?: Uint8Array): void {
    if (mode !== 'push' && mode !== 'pull' && mode !== 'lent') throw new RangeError(`stream reads are 'push', 'pull' or 'lent', not ${String(mode)}`);
    if (mode === 'lent') {
      if (!(buffer instanceof Uint8Array) || buffer.length === 0) throw new RangeError('lent stream reads need a buffer of at least 1 byte');
      this.lent = { views: new LengthViews(buffer), event: { type: 'stream_data', streamId: 0, data: buffer.subarray(0, 0), fin: false } };
      this.streams.reads = 'pull';
      return;
    }
    this.lent = undefined;
    this.streams.reads = mode;
  }

  get streamReads(): StreamReadMode {
    return this.lent !== undefined ? 'lent' : this.streams.reads;
  }

  /** Lent reads: the application's buffer (with its views) and the one event handed out. */
  private lent: { views: LengthViews; event: StreamDataReceived } | undefined;

  /**
   * Pull mode: copies up to `length` (default: to the end of `into`) received bytes of stream
   * `streamId` into `into` at `offset`, in order, once. Returns how many, 0 when none are ready
   * (wait for `stream_readable`), or -1 at the end: everything up to the FIN was read, the
   * stream was reset (see the `stream_reset` event), or it is closed. Throws QuicError
   * STREAM_STATE_ERROR for a stream that cannot receive or was never opened, RangeError for a
   * range outside `into`. Call it until it returns 0 or -1 to be told of the next arrival.
   */
  readStream(streamId: number, into: Uint8Array, offset = 0, length = into.length - offset): number {
    return this.streams.read(streamId, into, offset, length);
  }

  /**
   * Pull mode: the bytes waiting on `streamId` as a `stream_data` event (a view of them, valid
   * for as long as it is kept, and `fin` with the last piece), or undefined when there is
   * nothing new. For streams an application prefers to receive the push way.
   */
  takeStreamData(streamId: number): StreamDataReceived | undefined {
    return this.streams.take(streamId);
  }

  /** Bytes written to a stream and not yet acknowledged. */
  streamBufferedBytes(streamId: number): number {
    return this.streams.bufferedBytes(streamId);
  }

  /**
   * Starts a 1-RTT key update (RFC 9001 §6.1). Allowed once the handshake is confirmed and the
   * previous update was acknowledged; returns false when not allowed now.
   */
  requestKeyUpdate(now: number): boolean {
    const keys = this.spaces[PacketNumberSpace.ApplicationData].oneRtt;
    if (!keys || !this.handshakeConfirmed || this.keyUpdatePending) return false;
    keys.update();
    this.keyUpdatePending = true;
    this.keyUpdatePn = this.spaces[PacketNumberSpace.ApplicationData].nextPn;
    if (this.qlog.enabled) this.qlog.event(now, 'security:key_updated', { key_type: '1rtt', trigger: 'local_update', key_phase: keys.keyPhase });
    return true;
  }

  /** The current 1-RTT key phase (0 or 1); undefined before 1-RTT keys. */
  get keyPhase(): number | undefined {
    return this.spaces[PacketNumberSpace.ApplicationData].oneRtt?.keyPhase;
  }

  private keyUpdatePending = false;
  private keyUpdatePn = 0;

  /**
   * Reserves room for a frame that `write_frame[type]` will write in a coming 1-RTT packet
   * (PQUIC's reserve_frames): its acknowledgement or loss goes to `notify_frame[type]` with
   * `ctx`. Returns false when the queue is full.
   *
   * Scheduling follows PQUIC (reference/pquic.md §6.6): congestion-controlled frames of one
   * owner may fill at most PLUGIN_CWND_SHARE of the congestion window while streams have data
   * to send, unless the owner is `rateUnlimited`; frames that are not congestion controlled
   * may ride on any 1-RTT packet, even one sent with the window full (an ACK).
   */
  reserveFrame(type: number, bytes: number, ctx: unknown, opts: ReserveOptions = {}): boolean {
    if (this.reserved.length >= 1024 || !Number.isSafeInteger(bytes) || bytes <= 0) return false;
    this.reserved.push({ type, bytes, ctx, owner: opts.owner ?? '', cc: opts.congestionControlled ?? true, unlimited: opts.rateUnlimited ?? false });
    return true;
  }

  private readonly reserved: ReservedFrame[] = [];
  /** Bytes of congestion-controlled reserved frames in flight, per owner. */
  private readonly pluginBytesInFlight = new Map<string, number>();
  /** Owners whose next slot had to wait, during one writeReservedFrames (reused). */
  private readonly waitingOwners = new Set<string>();
  private writeFrameOp = this.protoops.paramOp('write_frame');
  private notifyFrameOp = this.protoops.paramOp('notify_frame');

  /**
   * Processes the frames of a 1-RTT packet the peer sent but that was rebuilt here rather than
   * received (forward erasure correction): every frame goes through process_frame as usual; the
   * packet has no number, so it is neither acknowledged nor counted as received.
   */
  processRecoveredPayload(payload: Uint8Array, now: number): void {
    if (!this.spaces[PacketNumberSpace.ApplicationData].canReceive || this.state === 'closed' || this.state === 'draining') return;
    this.lastNow = now;
    const packet: ReceivedPacket = { space: PacketNumberSpace.ApplicationData, type: '1RTT', pn: -1, ackEliciting: false };
    try {
      const copy = copyBytes(payload);
      this.processPayload(copy, 0, copy.length, packet, now, undefined);
      this.streams.afterReceive(now);
    } catch (e) {
      this.onError(e, now);
    }
    if (this.qlog.enabled) this.qlog.event(now, 'pquic:packet_recovered', { length: payload.length });
  }

  /**
   * One of our 1-RTT packets was rebuilt by the peer (it said so, e.g. in an FEC RECOVERED
   * frame): its frames count as delivered and will not be retransmitted. Returns false when the
   * packet was already acknowledged or declared lost.
   */
  onPacketRecovered(pn: number, now: number): boolean {
    const packet = this.loss.onPacketRecovered(PacketNumberSpace.ApplicationData, pn, now);
    if (!packet) return false;
    this.onFramesAcked(packet.frames as SentFrame[], PacketNumberSpace.ApplicationData, now);
    this.sentRecords.release(packet);
    return true;
  }

  /** Names of frame types the core does not know (plugins name theirs), for qlog and logs. */
  readonly frameNames = new Map<number, string>();

  /**
   * qlog's view of a packet's frames. A method, not an arrow function inside handlePacket or
   * buildPacket: an arrow capturing `this` makes V8 allocate a context object on every call of
   * the function that contains it (40 bytes per packet each, bench:alloc), qlog on or off.
   */
  private logFrames(frames: readonly Frame[]): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < frames.length; i++) out.push(this.logFrame(frames[i]!));
    return out;
  }

  private logFrame(f: Frame): Record<string, unknown> {
    const pf = f as unknown as { type: string; frameType?: number };
    if (pf.type === 'plugin' && pf.frameType !== undefined) {
      return { frame_type: this.frameNames.get(pf.frameType) ?? 'unknown', raw_frame_type: pf.frameType };
    }
    return qlogFrame(f) as unknown as Record<string, unknown>;
  }

  /** Sends a PING (answered by a ping_acknowledged event). */
  ping(): number {
    this.pendingPing = ++this.pingUid;
    return this.pingUid;
  }

  /** Closes the connection (RFC 9000 §10.2): application close by default. */
  close(errorCode = 0, reason = '', application = true, now?: number): void {
    if (this.state === 'closing' || this.state === 'draining' || this.state === 'closed') return;
    const useApp = application && this.spaces[2].canSend;
    this.closeFrame = {
      type: 'connection_close', isApplicationError: useApp, errorCode: useApp || !application ? errorCode : TransportErrorCode.APPLICATION_ERROR,
      frameType: 0, reasonPhrase: new TextEncoder().encode(reason),
    };
    this.enterClosing(now ?? this.lastNow, {
      type: 'connection_terminated', errorCode, frameType: undefined, reason, application, byPeer: false, cause: 'closed',
    });
  }

  nextEvent(): QuicEvent | undefined {
    for (;;) {
      const e = this.events.shift();
      if (e === undefined || e.type !== 'stream_readable') return e;
      this.streams.onReadableTaken(e.streamId);
      const lent = this.lent;
      if (lent === undefined) return e;
      // Lent reads: the stream's bytes now, into the application's buffer (see setStreamReads).
      if (this.streams.lend(e.streamId, lent.views, lent.event)) return lent.event;
    }
  }

  get alpn(): string | undefined {
    return this.tlsContext?.alpn;
  }

  get cipherSuite(): CipherSuite | undefined {
    return this.tlsContext?.cipherSuite;
  }

  get hostCid(): Uint8Array {
    return this.cids.hostCid;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Connection IDs a datagram may carry to reach us (for the endpoint's demultiplexer). */
  get activeHostCids(): Uint8Array[] {
    return this.cids.activeHostCids();
  }

  // ---------------------------------------------------------------- receive path

  private lastNow = 0;
  /** The 1-RTT header of the packet being processed, re-pointed at each one. */
  private readonly shortHeader = new ShortHeaderView();

  receiveDatagram(data: Uint8Array, from: PeerAddress, now: number): void {
    this.lastNow = now;
    if (this.state === 'closed' || this.state === 'draining') return;
    this.stats.bytesReceived += data.length;
    if (!this.addressValidated) this.amplificationReceived += data.length;
    let offset = 0;
    let first = true;
    let firstDcid: Uint8Array | undefined;
    let anyProcessed = false;
    while (offset < data.length) {
      let header: PacketHeader;
      try {
        // 1-RTT packets, the bulk of the traffic, are parsed in place (no header object each).
        header = (data[offset]! & HEADER_FORM_LONG) === 0
          ? this.shortHeader.parse(data, offset, this.cids.hostCidLength)
          : parsePacketHeader(data, offset, this.cids.hostCidLength);
      } catch {
        this.dropped(now, 'header_parse_error', data.length - offset);
        break;
      }
      // RFC 9000 §12.2: coalesced packets with another DCID are ignored. A short header runs to
      // the end of the datagram, so only a long one sets the DCID the next packets must carry.
      if ('dcid' in header && header.type !== 'version_negotiation' && header.type !== 'retry') {
        if (firstDcid && !bytesEqual(firstDcid, header.dcid)) {
          this.dropped(now, 'unexpected_destination_connection_id', header.payloadEnd - offset);
          offset = header.payloadEnd;
          continue;
        }
        if (header.form === 'long') firstDcid ??= header.dcid;
      }
      offset = header.payloadEnd;
      try {
        if (this.handlePacket(data, header, from, now, first)) anyProcessed = true;
      } catch (e) {
        this.onError(e, now);
        return;
      }
      first = false;
      if ((this.state as ConnectionState) === 'closed' || (this.state as ConnectionState) === 'draining') return;
    }
    if (!anyProcessed && this.isStatelessReset(data)) {
      this.terminate(now, {
        type: 'connection_terminated', errorCode: 0, frameType: undefined, reason: 'stateless reset', application: false,
        byPeer: true, cause: 'stateless_reset',
      });
      return;
    }
    if (anyProcessed) this.afterReceive(now);
  }

  /** Returns true when a packet was decrypted and processed. */
  private handlePacket(data: Uint8Array, header: PacketHeader, from: PeerAddress, now: number, firstInDatagram: boolean): boolean {
    switch (header.type) {
      case 'version_negotiation':
        this.onVersionNegotiation(header.supportedVersions, header.dcid, header.scid, now);
        return false;
      case 'retry':
        this.onRetry(data.subarray(header.packetStart, header.payloadEnd), header.scid, header.token, now);
        return false;
      case 'unsupported_version':
        this.dropped(now, 'unsupported_version', header.payloadEnd - header.packetStart);
        return false;
      case '0RTT':
        // Only a server that accepted early data has the key (RFC 9001 §4.6.1); otherwise the
        // client resends the data in 1-RTT packets (§4.6.2).
        if (!this.zeroRttRecv) {
          this.dropped(now, 'key_unavailable', header.payloadEnd - header.packetStart);
          return false;
        }
        break;
      default:
        break;
    }
    const spaceId = header.type === 'initial' ? PacketNumberSpace.Initial : header.type === 'handshake' ? PacketNumberSpace.Handshake : PacketNumberSpace.ApplicationData;
    const space = this.spaces[spaceId];
    if (header.form === 'long' && !this.config.versions.includes(header.version)) {
      this.dropped(now, 'unsupported_version', header.payloadEnd - header.packetStart);
      return false;
    }
    if (header.type !== '0RTT' && !space.canReceive) {
      if (!space.discarded && this.undecryptable.length < MAX_UNDECRYPTABLE) {
        // Keys may arrive with a packet later in this flight (RFC 9001 §5.7): keep a copy.
        this.undecryptable.push({ data: copyBytes(data, header.packetStart, header.payloadEnd), from, space: spaceId });
      } else {
        this.dropped(now, 'key_unavailable', header.payloadEnd - header.packetStart);
      }
      return false;
    }
    // 0-RTT and 1-RTT share the application data number space with different keys (RFC 9000 §12.3).
    const protector = header.type === '0RTT' ? this.zeroRttRecv! : spaceId === PacketNumberSpace.ApplicationData && space.oneRtt ? space.oneRtt.receiver : space.recv!;
    const p = protector.unprotect(data, header.packetStart, header.pnOffset, header.payloadEnd, space.largestRecvPn, this.unprotected);
    if (!p) {
      this.dropped(now, 'decryption_failure', header.payloadEnd - header.packetStart);
      return false;
    }
    // RFC 9000 §17.2, §17.3.1: reserved bits must be zero once protection is removed.
    if ((p.firstByte & (header.form === 'long' ? 0x0c : 0x18)) !== 0) {
      throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'reserved header bits are not zero');
    }
    if (spaceId === PacketNumberSpace.ApplicationData && space.oneRtt && p.keyPhase !== undefined) {
      const match = space.oneRtt.onPacketDecrypted(p.keyPhase, p.pn);
      if (match === 'next') {
        // The peer started a key update (RFC 9001 §6.2): follow it.
        space.oneRtt.update(p.pn);
        if (this.qlog.enabled) this.qlog.event(now, 'security:key_updated', { key_type: '1rtt', trigger: 'remote_update', key_phase: space.oneRtt.keyPhase });
      }
    }
    if (space.ack.isDuplicate(p.pn)) {
      this.dropped(now, 'duplicate', header.payloadEnd - header.packetStart);
      return false;
    }
    this.protoops.slots.header_parsed(header, p.pn, spaceId);
    if (!this.isClient && header.type === 'handshake' && !this.addressValidated) {
      // RFC 9000 §8.1: a Handshake packet from the client validates its address.
      this.addressValidated = true;
      this.loss.setAmplificationLimited(false, now);
    }
    if (header.form === 'long' && header.type === 'initial' && this.isClient && !this.firstPacketReceived) {
      // The server's first SCID becomes our DCID (RFC 9000 §7.2). Kept until the server's
      // transport parameters are checked against it (§7.3), possibly datagrams later: a copy,
      // not a view of a receive buffer the host may reuse.
      this.peerInitialScid = copyBytes(header.scid);
      this.cids.setInitialPeerCid(header.scid);
    }
    if (header.form === 'short' && firstInDatagram && !sameAddress(from, this.peerAddress)) {
      this.onPeerAddressChange(from, now);
    }
    this.firstPacketReceived = true;
    this.stats.packetsReceived++;
    // One record for every received packet: handlePacket is not re-entered (a recovered
    // payload, processed inside a frame of this packet, has its own).
    const packet = this.receivedPacket;
    packet.space = spaceId;
    packet.type = header.type === '0RTT' ? '0RTT' : SPACE_PACKET_TYPE[spaceId]!;
    // RFC 9001 §4.9.3: with 1-RTT packets flowing, 0-RTT keys are no longer needed.
    if (header.form === 'short') this.zeroRttRecv = undefined;
    packet.pn = p.pn;
    packet.ackEliciting = false;
    const frames = this.qlog.enabled ? ([] as Frame[]) : undefined;
    this.processPayload(data, p.payloadStart, p.payloadEnd, packet, now, frames);
    if (p.pn > space.largestRecvPn) space.largestRecvPn = p.pn;
    space.ack.onPacketReceived(p.pn, packet.ackEliciting, now);
    // Unhooked, received_packet does nothing: skip the call and its payload view.
    if (this.receivedPacketOp.hooked) this.protoops.slots.received_packet(packet.type, p.pn, header.payloadEnd - header.packetStart, p.payload, p.payloadLength);
    if (frames && this.qlog.enabled) {
      this.qlog.event(now, 'transport:packet_received', {
        header: packetHeader(packet.type, p.pn, { dcid: header.dcid }),
        raw: { length: header.payloadEnd - header.packetStart },
        frames: this.logFrames(frames),
      });
    }
    // RFC 9001 §4.9.1: a server discards Initial keys when it first processes a Handshake packet.
    if (!this.isClient && spaceId === PacketNumberSpace.Handshake) this.discardSpace(PacketNumberSpace.Initial, now);
    this.armIdleTimer(now);
    this.ackElicitingSentSinceReceive = false;
    return true;
  }

  /** The frames of buf[start, end), through parse_frame and process_frame. */
  private processPayload(buf: Uint8Array, start: number, end: number, packet: ReceivedPacket, now: number, log: Frame[] | undefined): void {
    if (start >= end) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'packet without frames');
    // A Reader per nesting level (a recovered payload is processed inside a frame), reused.
    const depth = this.payloadDepth;
    const r = (this.payloadReaders[depth] ??= new Reader(buf)).reset(buf, start, end);
    this.payloadDepth = depth + 1;
    try {
      this.processFrames(r, packet, now, log);
    } finally {
      this.payloadDepth = depth;
    }
  }

  /**
   * The default parse_frame of STREAM frames: a StreamFrameView per payload nesting level,
   * re-pointed at each frame, so receiving data allocates no frame object and no data view.
   * qlog keeps the frames of a packet, so with qlog on each frame gets an object of its own.
   */
  private parseStreamInPlace(r: Reader, frameType: number): StreamFrame {
    if (this.framesKept()) return parseStreamFrame(r, frameType);
    return (this.streamFrameViews[this.payloadDepth - 1] ??= new StreamFrameView()).parse(r, frameType);
  }

  /** The default parse_frame of ACK frames: in place, as parseStreamInPlace (qlog keeps its own). */
  private parseAckInPlace(r: Reader, frameType: number): AckFrame {
    if (this.framesKept()) return parseAckFrame(r, frameType);
    return (this.ackFrameViews[this.payloadDepth - 1] ??= new AckFrameView()).parse(r, frameType);
  }

  /**
   * The default parse_frame of MAX_STREAM_DATA: in place, as parseStreamInPlace. A receiver
   * reading in windows sends one per stream every few round trips (RFC 9000 §4.2), so a
   * long transfer gets many; each was a 64-byte object.
   */
  private parseMaxStreamDataInPlace(r: Reader, frameType: number): MaxStreamDataFrame {
    if (this.framesKept()) return parseMaxStreamDataFrame(r, frameType);
    return (this.maxStreamDataViews[this.payloadDepth - 1] ??= new MaxStreamDataFrameView()).parse(r, frameType);
  }

  /** The default parse_frame of MAX_DATA: in place, as parseMaxStreamDataInPlace. */
  private parseMaxDataInPlace(r: Reader, frameType: number): MaxDataFrame {
    if (this.framesKept()) return parseMaxDataFrame(r, frameType);
    return (this.maxDataViews[this.payloadDepth - 1] ??= new MaxDataFrameView()).parse(r, frameType);
  }

  /**
   * The default parse_frame of PADDING and PING, in place as parseStreamInPlace: PTO probes and
   * padded packets made an object each (48 and 40 B) on a lossy path. PING has no fields, so
   * one shared frozen frame serves every nesting level.
   */
  private parsePaddingInPlace(r: Reader, frameType: number): PaddingFrame {
    if (this.framesKept()) return parsePaddingFrame(r, frameType);
    return parsePaddingInto(r, (this.paddingViews[this.payloadDepth - 1] ??= { type: 'padding', length: 1 }));
  }

  private parsePingInPlace(r: Reader, frameType: number): PingFrame {
    if (this.framesKept()) return parsePingFrame(r, frameType);
    return RECEIVED_PING;
  }

  /**
   * Whether a parsed frame must be an object of its own: qlog keeps a packet's frames past it,
   * and a parse outside processPayload (depth 0) has no nesting level to own a view.
   */
  private framesKept(): boolean {
    return this.qlog.enabled || this.payloadDepth === 0;
  }

  private readonly ackFrameViews: AckFrameView[] = [];
  private readonly streamFrameViews: StreamFrameView[] = [];
  private readonly maxStreamDataViews: MaxStreamDataFrameView[] = [];
  private readonly maxDataViews: MaxDataFrameView[] = [];
  private readonly paddingViews: PaddingFrame[] = [];
  private readonly payloadReaders: Reader[] = [];
  private payloadDepth = 0;
  private readonly receivedPacket: ReceivedPacket = { space: PacketNumberSpace.Initial, type: 'initial', pn: 0, ackEliciting: false };
  private readonly unprotected = new UnprotectedPacketView();

  private processFrames(r: Reader, packet: ReceivedPacket, now: number, log: Frame[] | undefined): void {
    const parseOp = this.parseFrameOp;
    const processOp = this.processFrameOp;
    while (r.remaining > 0) {
      const type = readFrameType(r);
      if (type <= FrameType.HANDSHAKE_DONE) checkFrameAllowedInPacket(type, packet.type);
      const parse = parseOp.fn(type);
      const process = processOp.fn(type);
      if (!parse || !process) throw new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, `unknown frame type 0x${type.toString(16)}`, type);
      let frame: Frame;
      try {
        frame = parse(r, type) as Frame;
      } catch (e) {
        if (e instanceof QuicError && e.frameType === undefined) throw e.withFrameType(type);
        throw e;
      }
      if (type > FrameType.HANDSHAKE_DONE || isAckEliciting(type)) packet.ackEliciting = true;
      log?.push(frame);
      try {
        process(frame, packet, now);
      } catch (e) {
        if (e instanceof QuicError && e.frameType === undefined) throw e.withFrameType(type);
        throw e;
      }
      if (this.state === 'draining' || this.state === 'closed') return;
    }
  }

  private afterReceive(now: number): void {
    // Packets that waited for keys (RFC 9001 §5.7).
    if (this.undecryptable.length > 0) {
      const waiting = this.undecryptable.splice(0);
      for (const u of waiting) {
        if (this.spaces[u.space].canReceive) {
          this.receiveDatagram(u.data, u.from, now);
        } else if (!this.spaces[u.space].discarded && this.undecryptable.length < MAX_UNDECRYPTABLE) {
          this.undecryptable.push(u);
        }
      }
    }
    this.streams.afterReceive(now);
  }

  // ---------------------------------------------------------------- frame processing (core protoops)

  private parseFrameOp = this.protoops.paramOp('parse_frame');
  private processFrameOp = this.protoops.paramOp('process_frame');
  /** finalize_and_protect_packet's entry: the send path calls it only when hooked. */
  private finalizeOp!: ProtoopEntry;
  /** received_packet's entry: the receive path calls it only when hooked. */
  private receivedPacketOp!: ProtoopEntry;

  private defineCoreProtoops(): void {
    const t = this.protoops;
    for (const [type, parser] of FRAME_PARSERS) {
      // STREAM frames, the bulk of the traffic, are parsed in place (see parseStreamInPlace).
      if (type >= FrameType.STREAM && type <= FrameType.STREAM + 7) t.define('parse_frame', (r: Reader, ft: number) => this.parseStreamInPlace(r, ft), type);
      else if (type === FrameType.ACK || type === FrameType.ACK_ECN) t.define('parse_frame', (r: Reader, ft: number) => this.parseAckInPlace(r, ft), type);
      else if (type === FrameType.MAX_STREAM_DATA) t.define('parse_frame', (r: Reader, ft: number) => this.parseMaxStreamDataInPlace(r, ft), type);
      else if (type === FrameType.MAX_DATA) t.define('parse_frame', (r: Reader, ft: number) => this.parseMaxDataInPlace(r, ft), type);
      else if (type === FrameType.PADDING) t.define('parse_frame', (r: Reader, ft: number) => this.parsePaddingInPlace(r, ft), type);
      else if (type === FrameType.PING) t.define('parse_frame', (r: Reader, ft: number) => this.parsePingInPlace(r, ft), type);
      else t.define('parse_frame', parser, type);
    }
    // Unknown frame types reach these NO_PARAM defaults (PQUIC's parse_unknown_frame /
    // process_unknown_frame): a plugin replaces them, or registers its own frame type.
    const unknownFrame = (_r: unknown, type: number): never => {
      throw new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, `unknown frame type 0x${type.toString(16)}`, type);
    };
    t.define('parse_frame', unknownFrame);
    t.define('process_frame', (frame: { type?: unknown }) => {
      throw new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, `no process_frame for frame ${String(frame?.type)}`);
    });
    const process = (type: number, fn: (f: never, p: ReceivedPacket, now: number) => void): void => {
      t.define('process_frame', fn as AnyFn, type);
    };
    process(FrameType.PADDING, () => undefined);
    process(FrameType.PING, () => undefined);
    process(FrameType.ACK, (f: Extract<Frame, { type: 'ack' }>, p, now) => this.onAckFrame(f, p.space, now));
    process(FrameType.ACK_ECN, (f: Extract<Frame, { type: 'ack' }>, p, now) => this.onAckFrame(f, p.space, now));
    process(FrameType.CRYPTO, (f: Extract<Frame, { type: 'crypto' }>, p, now) => this.onCryptoFrame(f, p.space, now));
    process(FrameType.NEW_TOKEN, () => {
      if (!this.isClient) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'NEW_TOKEN sent by a client');
    });
    for (let type = FrameType.STREAM; type <= 0x0f; type++) {
      process(type, (f: Extract<Frame, { type: 'stream' }>, _p, now) => this.streams.onStreamFrame(f, now));
    }
    process(FrameType.RESET_STREAM, (f: Extract<Frame, { type: 'reset_stream' }>) => this.streams.onResetStream(f));
    process(FrameType.STOP_SENDING, (f: Extract<Frame, { type: 'stop_sending' }>) => this.streams.onStopSending(f));
    process(FrameType.MAX_DATA, (f: Extract<Frame, { type: 'max_data' }>) => this.streams.onMaxData(f.maximumData));
    process(FrameType.MAX_STREAM_DATA, (f: Extract<Frame, { type: 'max_stream_data' }>) => this.streams.onMaxStreamData(f.streamId, f.maximumStreamData));
    process(FrameType.MAX_STREAMS_BIDI, (f: Extract<Frame, { type: 'max_streams' }>) => this.streams.onMaxStreams(true, f.maximumStreams));
    process(FrameType.MAX_STREAMS_UNI, (f: Extract<Frame, { type: 'max_streams' }>) => this.streams.onMaxStreams(false, f.maximumStreams));
    process(FrameType.DATA_BLOCKED, () => undefined);
    process(FrameType.STREAM_DATA_BLOCKED, (f: Extract<Frame, { type: 'stream_data_blocked' }>) => this.streams.onStreamDataBlocked(f.streamId));
    process(FrameType.STREAMS_BLOCKED_BIDI, () => undefined);
    process(FrameType.STREAMS_BLOCKED_UNI, () => undefined);
    process(FrameType.NEW_CONNECTION_ID, (f: Extract<Frame, { type: 'new_connection_id' }>) => this.cids.onNewConnectionId(f));
    process(FrameType.RETIRE_CONNECTION_ID, (f: Extract<Frame, { type: 'retire_connection_id' }>, _p, now) => this.cids.onRetireConnectionId(f.sequenceNumber, now));
    process(FrameType.PATH_CHALLENGE, (f: Extract<Frame, { type: 'path_challenge' }>) => {
      this.pendingPathResponses.push(copyBytes(f.data));
    });
    process(FrameType.PATH_RESPONSE, (f: Extract<Frame, { type: 'path_response' }>, _p, now) => this.onPathResponse(f.data, now));
    process(FrameType.CONNECTION_CLOSE, (f: Extract<Frame, { type: 'connection_close' }>, _p, now) => this.onConnectionClose(f, now));
    process(FrameType.CONNECTION_CLOSE_APP, (f: Extract<Frame, { type: 'connection_close' }>, _p, now) => this.onConnectionClose(f, now));
    process(FrameType.HANDSHAKE_DONE, (_f: never, _p, now) => {
      if (!this.isClient) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'HANDSHAKE_DONE sent by a client');
      this.confirmHandshake(now);
    });

    // Non-parametrable operations: the default behaviour of RFC 9000/9002.
    t.define('update_rtt', (latest: number, ackDelay: number, now: number) => {
      this.loss.rtt.update(latest, ackDelay, this.handshakeConfirmed, now);
    });
    t.define('update_ack_delay', (space: PacketNumberSpace) => (space === PacketNumberSpace.ApplicationData ? this.config.maxAckDelayMs * 1000 : 0));
    t.define('is_ack_needed', (space: PacketNumberSpace, now: number) => this.spaces[space].ack.isAckNeeded(now));
    t.define('retransmit_needed', () => undefined);
    t.define('packet_was_lost', (packet: SentPacket) => this.requeueFrames(packet.frames as SentFrame[]));
    t.define('fast_retransmit', () => undefined);
    t.define('retransmission_timeout', () => undefined);
    t.define('congestion_algorithm_notify', () => undefined);
    t.define('set_next_wake_time', () => this.computeTimer());
    this.receivedPacketOp = t.define('received_packet', () => undefined);
    this.finalizeOp = t.define('finalize_and_protect_packet', (_s: PacketNumberSpace, _pn: number, _b: Uint8Array, used: number) => used);
    t.define('stream_bytes_max', (_space: PacketNumberSpace, remaining: number) => remaining);
    t.define('header_parsed', () => undefined);
    t.define('header_prepared', () => undefined);
    t.define('before_sending_packet', () => undefined);
    t.define('stream_opened', () => undefined);
    t.define('stream_closed', () => undefined);
    t.define('stream_flags_changed', () => undefined);
    t.define('connection_state_changed', () => undefined);
    t.define('prepare_packet_ready', () => undefined);
    t.define('schedule_frames_on_path', (w: Writer, frames: SentFrame[], now: number) => this.streams.writeStreamFrames(w, frames, now));
    t.define('select_sending_path', () => this.peerAddress);
    t.define('get_destination_connection_id', () => this.cids.peerCid);
    t.define('connection_error', () => undefined);
    t.define('peer_address_changed', () => undefined);
    t.define('unknown_tp_received', () => undefined);
    // Transport parameters: plugins add ids through write_transport_parameter[id].
    t.define('write_transport_parameter', () => undefined);
    t.define('process_transport_parameter', (id: number | bigint, value: Uint8Array) => this.protoops.slots.unknown_tp_received(id, value));
  }

  private onAckFrame(f: Extract<Frame, { type: 'ack' }>, spaceId: PacketNumberSpace, now: number): void {
    const space = this.spaces[spaceId];
    if (space.discarded) return;
    const largestSent = this.loss.space(spaceId).largestSent;
    if (largestSent === undefined || f.largestAcknowledged > largestSent) {
      throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, `ACK of packet ${f.largestAcknowledged}, which was never sent`);
    }
    const exponent = spaceId === PacketNumberSpace.ApplicationData && this.peerParams ? this.peerParams.ackDelayExponent : 3;
    // A shift, not `2 **`, which V8's unoptimised tiers box (the exponent is at most 20, §18.2).
    const ackDelayUs = f.ackDelay * (1 << exponent);
    const cwndBefore = this.cc.congestionWindow;
    const result = this.loss.onAckReceived(spaceId, f.ranges, ackDelayUs, now);
    // The result is loss detection's reused one: hold it while protoops run.
    this.loss.ackResultReaders++;
    try {
      this.processAckResult(result, spaceId, ackDelayUs, now);
    } finally {
      this.loss.ackResultReaders--;
    }
    if (this.qlog.enabled && (result.rttSample !== undefined || cwndBefore !== this.cc.congestionWindow)) this.logMetrics(now);
  }

  /** What one ACK frame settled: RTT, acknowledged frames, losses, congestion notifications. */
  private processAckResult(result: AckResult, spaceId: PacketNumberSpace, ackDelayUs: number, now: number): void {
    const space = this.spaces[spaceId];
    if (result.rttSample !== undefined) {
      this.protoops.slots.update_rtt(result.rttSample, ackDelayUs, now);
      // The ack delay we apply locally may follow the RTT (PQUIC's update_ack_delay), never
      // beyond the max_ack_delay we advertised (RFC 9000 §18.2).
      const delay = this.protoops.slots.update_ack_delay(PacketNumberSpace.ApplicationData);
      const ack = this.spaces[PacketNumberSpace.ApplicationData].ack;
      ack.maxAckDelay = Math.max(0, Math.min(Number(delay), this.config.maxAckDelayMs * 1000));
    }
    const acked = result.newlyAcked;
    for (let i = 0; i < acked.length; i++) {
      const p = acked[i]!;
      if (space.largestAckedPn === undefined || p.pn > space.largestAckedPn) space.largestAckedPn = p.pn;
      if (this.keyUpdatePending && spaceId === PacketNumberSpace.ApplicationData && p.pn >= this.keyUpdatePn) this.keyUpdatePending = false;
      this.onFramesAcked(p.frames as SentFrame[], spaceId, now);
    }
    const lost = result.lost;
    if (lost.length > 0) {
      let lostBytes = 0;
      for (let i = 0; i < lost.length; i++) {
        const p = lost[i]!;
        lostBytes += p.size;
        this.stats.packetsLost++;
        this.protoops.slots.fast_retransmit(p, spaceId);
        this.releasePluginFrames(p.frames as SentFrame[]);
        this.protoops.slots.packet_was_lost(p, spaceId);
        if (this.qlog.enabled) this.qlog.event(now, 'recovery:packet_lost', { header: packetHeader(SPACE_PACKET_TYPE[spaceId]!, p.pn), trigger: 'reordering_threshold' });
      }
      this.protoops.slots.congestion_algorithm_notify(result.persistentCongestion ? 'persistent_congestion' : 'lost', lostBytes, now);
    }
    if (acked.length > 0) {
      let ackedBytes = 0;
      for (let i = 0; i < acked.length; i++) ackedBytes += acked[i]!.size;
      this.protoops.slots.congestion_algorithm_notify('acked', ackedBytes, now);
    }
    // Their fate is settled and processed: the records go back to the pool.
    this.sentRecords.releaseAll(result.newlyAcked);
    this.sentRecords.releaseAll(result.lost);
  }

  private onFramesAcked(frames: SentFrame[], spaceId: PacketNumberSpace, now: number): void {
    const space = this.spaces[spaceId];
    this.releasePluginFrames(frames);
    // Indexed loops on the per-ACK paths: a for-of that V8 has not optimised allocates an iterator.
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      switch (f.k) {
        case 'ack': space.ack.onAckOfAck(f.largest); break;
        case 'crypto': space.crypto.onAcked(f.offset, f.length); break;
        case 'stream': this.streams.onStreamDataAcked(f.id, f.offset, f.length, f.fin); break;
        case 'reset_stream': this.streams.onResetAcked(f.id); break;
        case 'handshake_done': break;
        case 'ping': if (f.uid !== undefined) this.events.push({ type: 'ping_acknowledged', uid: f.uid }); break;
        case 'new_connection_id': this.cids.onNewConnectionIdAcked(f.seq); break;
        case 'plugin': this.notifyFrameOp.fn(f.type)?.(f.ctx, true); break;
        default: break;
      }
    }
    void now;
  }

  /** Loss: frames go back into their queues (RFC 9000 §13.3); nothing is resent as-is. */
  private requeueFrames(frames: SentFrame[]): void {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      switch (f.k) {
        case 'crypto': break; // handled per space below
        case 'stream': this.streams.onStreamDataLost(f.id, f.offset, f.length, f.fin); break;
        case 'reset_stream': this.streams.onResetLost(f.id); break;
        case 'stop_sending': this.streams.onStopSendingLost(f.id, f.code); break;
        case 'max_data': this.streams.onMaxDataLost(); break;
        case 'max_stream_data': this.streams.onMaxStreamDataLost(f.id); break;
        case 'max_streams': this.streams.onMaxStreamsLost(f.bidi); break;
        case 'handshake_done': this.pendingHandshakeDone = true; break;
        case 'new_connection_id': this.cids.onNewConnectionIdLost(f.seq); break;
        case 'retire_connection_id': this.cids.onRetireLost(f.seq); break;
        case 'plugin': this.notifyFrameOp.fn(f.type)?.(f.ctx, false); break;
        default: break;
      }
    }
  }

  private requeueLost(packet: SentPacket, spaceId: PacketNumberSpace): void {
    const frames = packet.frames as SentFrame[];
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (f.k === 'crypto') this.spaces[spaceId].crypto.onLost(f.offset, f.length);
    }
  }

  private onCryptoFrame(f: Extract<Frame, { type: 'crypto' }>, spaceId: PacketNumberSpace, now: number): void {
    const space = this.spaces[spaceId];
    space.crypto.onData(f.offset, f.data);
    const data = space.crypto.read();
    if (data.length === 0) return;
    const wasComplete = this.tls.handshakeComplete;
    try {
      this.tls.receive(SPACE_EPOCH[spaceId]!, data);
    } catch (e) {
      if (e instanceof TlsAlert) throw new QuicError(e.quicErrorCode, `TLS alert ${e.alert}: ${e.message}`, FrameType.CRYPTO);
      throw e;
    }
    this.drainTls();
    if (!wasComplete && this.tls.handshakeComplete) this.onHandshakeComplete(now);
  }

  private drainTls(): void {
    for (const epoch of ['initial', 'handshake', 'oneRtt'] as const) {
      const out = this.tls.takeOutput(epoch);
      if (out && out.length > 0) this.spaces[EPOCH_SPACE[epoch]!].crypto.write(out);
    }
  }

  private onHandshakeComplete(now: number): void {
    if (!this.peerParams) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'handshake complete without transport parameters');
    if (this.zeroRtt) this.settleZeroRtt(now);
    this.stats.handshakeDoneUs = now - this.startUs;
    this.events.push({ type: 'handshake_completed', alpn: this.tls.alpn, cipherSuite: this.tls.cipherSuite ?? 0 });
    if (!this.isClient) {
      // RFC 9001 §4.1.2: the server's handshake is confirmed when it completes; it sends HANDSHAKE_DONE.
      this.pendingHandshakeDone = true;
      this.confirmHandshake(now);
    }
    this.setState('connected', now);
    this.cids.issueInitialCids();
  }

  private confirmHandshake(now: number): void {
    if (this.handshakeConfirmed) return;
    this.handshakeConfirmed = true;
    this.loss.onHandshakeConfirmed(now);
    // RFC 9001 §4.9.2: Handshake keys are discarded once the handshake is confirmed.
    this.discardSpace(PacketNumberSpace.Handshake, now);
  }

  private onSecret(epoch: Epoch, direction: 'read' | 'write', suite: CipherSuite, secret: Uint8Array): void {
    if (epoch === 'zeroRtt') {
      // A server reads accepted early data; a client that offered it may send 0-RTT packets.
      if (direction === 'read') this.zeroRttRecv = PacketProtector.fromSecret(this.provider, suite, secret);
      else if (this.isClient) this.startZeroRtt(suite, secret);
      return;
    }
    const spaceId = EPOCH_SPACE[epoch];
    if (spaceId === undefined) return;
    const space = this.spaces[spaceId];
    if (spaceId === PacketNumberSpace.ApplicationData) {
      // Both 1-RTT secrets are needed for OneRttKeys; keep the first until the second arrives.
      if (direction === 'write') this.pendingOneRttWrite = secret;
      else this.pendingOneRttRead = secret;
      if (direction === 'write') space.send = PacketProtector.fromSecret(this.provider, suite, secret);
      if (this.pendingOneRttWrite && this.pendingOneRttRead) {
        space.oneRtt = new OneRttKeys(this.provider, suite, this.pendingOneRttWrite, this.pendingOneRttRead);
        space.send = space.oneRtt.sender;
        space.recv = space.oneRtt.receiver;
      }
    } else if (direction === 'write') {
      space.send = PacketProtector.fromSecret(this.provider, suite, secret);
    } else {
      space.recv = PacketProtector.fromSecret(this.provider, suite, secret);
    }
    if (spaceId === PacketNumberSpace.Handshake && direction === 'read') this.loss.onHandshakeKeysAvailable(this.lastNow);
    // The peer's transport parameters arrive with the first encrypted flight.
    if (!this.peerParams && this.tlsContext?.peerTransportParameters) this.onPeerTransportParameters(this.tlsContext.peerTransportParameters);
  }

  private zeroRttRecv: PacketProtector | undefined;
  /** Client: the 0-RTT attempt, when the ClientHello offered early data. */
  private zeroRtt: ZeroRttAttempt | undefined;

  /** Client: what became of 0-RTT ('none' when it was not attempted). */
  get earlyData(): EarlyDataOutcome {
    return this.zeroRtt?.outcome ?? 'none';
  }

  /** Client: 0-RTT packets sent so far. */
  get zeroRttPacketsSent(): number {
    return this.zeroRtt?.packetsSent ?? 0;
  }

  /**
   * The TLS client offered early data: 0-RTT may carry stream data under the limits the ticket
   * remembered (RFC 9000 §7.4.1), which stand in for the server's parameters until they arrive.
   */
  private startZeroRtt(suite: CipherSuite, secret: Uint8Array): void {
    const session = this.tlsContext?.earlyDataSession;
    if (!session || this.peerParams) return;
    const attempt = ZeroRttAttempt.start(PacketProtector.fromSecret(this.provider, suite, secret), session.transportParameters);
    if (!attempt) return;
    this.zeroRtt = attempt;
    this.streams.onPeerParams(attempt.remembered);
    if (this.qlog.enabled) this.qlog.event(this.lastNow, 'transport:parameters_restored', tpForQlog(attempt.remembered));
  }

  /** 0-RTT packets may go out now: keys, no 1-RTT keys yet, and no HelloRetryRequest since (RFC 8446 §4.2.10). */
  private zeroRttSendable(): boolean {
    const z = this.zeroRtt;
    if (!z || !z.canSend) return false;
    if (this.spaces[PacketNumberSpace.ApplicationData].canSend || this.tlsContext?.earlyDataSession === undefined) {
      z.stop();
      return false;
    }
    return true;
  }

  /**
   * Every 0-RTT packet still in flight is lost without congestion signal and its frames go
   * again (RFC 9001 §4.6.2, RFC 9002 §6.4): after a rejection they go in 1-RTT, after a Retry in
   * new 0-RTT packets to the Retry's connection ID (RFC 9000 §17.2.5.3).
   */
  private requeueZeroRtt(now: number, trigger: 'zero_rtt_rejected' | 'retry'): void {
    const z = this.zeroRtt!;
    for (let pn = Math.max(0, z.firstPn); pn < z.endPn; pn++) {
      const p = this.loss.onPacketRecovered(PacketNumberSpace.ApplicationData, pn, now);
      if (!p) continue;
      this.stats.packetsLost++;
      this.releasePluginFrames(p.frames as SentFrame[]);
      this.protoops.slots.packet_was_lost(p, PacketNumberSpace.ApplicationData);
      if (this.qlog.enabled) this.qlog.event(now, 'recovery:packet_lost', { header: packetHeader('0RTT', p.pn), trigger });
      this.sentRecords.release(p);
    }
  }

  /**
   * The handshake is over: the server's EncryptedExtensions said whether it read our 0-RTT
   * packets. Accepted, they count and the server may not have lowered a remembered limit
   * (RFC 9000 §7.4.1); rejected (or a full handshake), their data goes again in 1-RTT.
   */
  private settleZeroRtt(now: number): void {
    const z = this.zeroRtt!;
    z.stop();
    if (z.outcome !== 'pending') return;
    const accepted = this.tls.acceptedEarlyData;
    z.outcome = accepted ? 'accepted' : 'rejected';
    if (accepted) {
      const current = this.tlsContext!.peerTransportParameters;
      if (!current || !earlyDataParamsCompatible(z.rememberedBytes, current)) {
        throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'the server accepted 0-RTT but lowered a remembered transport parameter');
      }
    } else {
      this.requeueZeroRtt(now, 'zero_rtt_rejected');
    }
    if (this.qlog.enabled) this.qlog.event(now, 'transport:early_data', { outcome: z.outcome, packets_sent: z.packetsSent });
  }

  private pendingOneRttWrite: Uint8Array | undefined;
  private pendingOneRttRead: Uint8Array | undefined;

  private installInitialKeys(dcid: Uint8Array): void {
    const secrets = initialSecrets(this.provider, dcid);
    const space = this.spaces[PacketNumberSpace.Initial];
    const suite = TLS_AES_128_GCM_SHA256;
    space.send = PacketProtector.fromSecret(this.provider, suite, this.isClient ? secrets.client : secrets.server);
    space.recv = PacketProtector.fromSecret(this.provider, suite, this.isClient ? secrets.server : secrets.client);
  }

  private onPeerTransportParameters(bytes: Uint8Array): void {
    const params = decodeTransportParameters(bytes, this.isClient ? 'server' : 'client');
    // RFC 9000 §7.3: authenticate the connection IDs used during the handshake.
    if (this.isClient) {
      if (!params.originalDestinationConnectionId || !bytesEqual(params.originalDestinationConnectionId, this.originalDcid)) {
        throw new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, 'original_destination_connection_id does not match');
      }
      if (this.receivedRetry) {
        if (!params.retrySourceConnectionId || !bytesEqual(params.retrySourceConnectionId, this.retrySourceCid!)) {
          throw new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, 'retry_source_connection_id does not match the Retry');
        }
      } else if (params.retrySourceConnectionId) {
        throw new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, 'retry_source_connection_id without a Retry');
      }
    }
    if (this.peerInitialScid && (!params.initialSourceConnectionId || !bytesEqual(params.initialSourceConnectionId, this.peerInitialScid))) {
      throw new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, 'initial_source_connection_id does not match');
    }
    this.peerParams = params;
    this.loss.rtt.setMaxAckDelay(params.maxAckDelay * 1000);
    this.streams.onPeerParams(params);
    this.cids.onPeerParams(params);
    // process_transport_parameter (param = id): unknown ids, and known ones a plugin asked for.
    const raw = new Map(params.unknown);
    if (params.maxDatagramFrameSize !== undefined && this.protoops.exactEntry('process_transport_parameter', TRANSPORT_PARAMETER_MAX_DATAGRAM_FRAME_SIZE)) {
      const v = new Uint8Array(8);
      const w = new Writer(v);
      w.varint(params.maxDatagramFrameSize);
      raw.set(TRANSPORT_PARAMETER_MAX_DATAGRAM_FRAME_SIZE, v.subarray(0, w.position));
    }
    for (const [id, value] of raw) {
      const op = this.protoops.param('process_transport_parameter', typeof id === 'number' ? id : NO_PARAM);
      op?.(id, value);
    }
    if (this.qlog.enabled) this.qlog.event(this.lastNow, 'transport:parameters_set', { owner: 'remote', ...tpForQlog(params) });
  }

  /** The TLS context, created on first use with the transport parameters as they are then. */
  get tls(): TlsContext {
    if (this.tlsContext) return this.tlsContext;
    const config = this.config;
    this.collectPluginTransportParameters();
    this.tlsContext = new TlsContext(
      {
        isClient: this.isClient,
        provider: this.provider,
        alpnProtocols: config.alpnProtocols,
        ...(config.serverName !== undefined ? { serverName: config.serverName } : {}),
        ...(config.certificateChain ? { certificateChain: config.certificateChain } : {}),
        ...(config.privateKey ? { privateKey: config.privateKey } : {}),
        ...(config.trustAnchors ? { trustAnchors: config.trustAnchors } : {}),
        ...(config.insecure !== undefined ? { insecure: config.insecure } : {}),
        ...(config.cipherSuites ? { cipherSuites: config.cipherSuites } : {}),
        ...(config.groups ? { groups: config.groups } : {}),
        ...(config.keyLog ? { keyLog: config.keyLog } : {}),
        ...(config.sessionCache ? { sessionCache: config.sessionCache } : {}),
        ...(config.sessionTicketKey ? { sessionTicketKey: config.sessionTicketKey } : {}),
        ...(config.acceptEarlyData ? { acceptEarlyData: true } : {}),
        ...(config.enableEarlyData && this.isClient ? { offerEarlyData: true } : {}),
        transportParameters: encodeTransportParameters(this.localParams, this.isClient ? 'client' : 'server'),
      },
      (epoch, direction, suite, secret) => this.onSecret(epoch, direction, suite, secret),
    );
    if (this.qlog.enabled) this.qlog.event(this.lastNow, 'transport:parameters_set', { owner: 'local', ...tpForQlog(this.localParams) });
    return this.tlsContext;
  }

  /**
   * write_transport_parameter (param = id): every id with an implementation of its own adds a
   * parameter (PQUIC's prepare_plugin_transport_extensions). Its value is the bytes returned.
   */
  private collectPluginTransportParameters(): void {
    for (const e of this.protoops.list()) {
      if (e.name !== 'write_transport_parameter' || e.param === NO_PARAM) continue;
      const value = e.call(e.param) as Uint8Array | undefined;
      if (!(value instanceof Uint8Array)) continue;
      if (e.param === TRANSPORT_PARAMETER_MAX_DATAGRAM_FRAME_SIZE) {
        // A parameter the wire module knows by name goes into its field.
        const r = new Reader(value, 0, value.length, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
        this.localParams.maxDatagramFrameSize = r.varint();
      } else {
        this.localParams.unknown.set(e.param, copyBytes(value));
      }
    }
  }

  private buildLocalParams(resetToken: Uint8Array): TransportParameters {
    const c = this.config;
    const p = defaultTransportParameters();
    p.maxIdleTimeout = c.maxIdleTimeoutMs;
    p.maxUdpPayloadSize = c.maxUdpPayloadSize;
    p.initialMaxData = c.initialMaxData;
    p.initialMaxStreamDataBidiLocal = c.initialMaxStreamData;
    p.initialMaxStreamDataBidiRemote = c.initialMaxStreamData;
    p.initialMaxStreamDataUni = c.initialMaxStreamData;
    p.initialMaxStreamsBidi = c.initialMaxStreamsBidi;
    p.initialMaxStreamsUni = c.initialMaxStreamsUni;
    p.ackDelayExponent = c.ackDelayExponent;
    p.maxAckDelay = c.maxAckDelayMs;
    p.disableActiveMigration = c.disableActiveMigration;
    p.activeConnectionIdLimit = c.activeConnectionIdLimit;
    p.initialSourceConnectionId = this.cids.hostCid;
    if (!this.isClient) {
      p.originalDestinationConnectionId = this.originalDcid;
      p.statelessResetToken = resetToken;
      if (this.retrySourceCid) p.retrySourceConnectionId = this.retrySourceCid;
    }
    return p;
  }

  private onVersionNegotiation(versions: number[], dcid: Uint8Array, scid: Uint8Array, now: number): void {
    // RFC 9000 §6.2: only a client that has received nothing else acts on it, and only if it
    // does not list the version we used.
    if (!this.isClient || this.firstPacketReceived) return;
    if (!bytesEqual(dcid, this.cids.hostCid) || !bytesEqual(scid, this.originalDcid)) return;
    if (versions.includes(this.config.versions[0]!)) return;
    this.terminate(now, {
      type: 'connection_terminated', errorCode: TransportErrorCode.VERSION_NEGOTIATION_ERROR ?? 0x11, frameType: undefined,
      reason: `version negotiation: the server offers ${versions.map((v) => '0x' + v.toString(16)).join(', ') || 'nothing'}`,
      application: false, byPeer: true, cause: 'version_negotiation',
    });
  }

  private onRetry(packet: Uint8Array, scid: Uint8Array, token: Uint8Array, now: number): void {
    // RFC 9000 §17.2.5.2: one Retry per connection, before anything else, with a valid tag.
    if (!this.isClient || this.receivedRetry || this.firstPacketReceived) return;
    if (token.length === 0 || !verifyRetryIntegrity(this.provider, this.originalDcid, packet)) {
      this.dropped(now, 'retry_integrity', packet.length);
      return;
    }
    this.receivedRetry = true;
    this.retryToken = copyBytes(token);
    this.retrySourceCid = copyBytes(scid);
    this.cids.setInitialPeerCid(this.retrySourceCid);
    this.installInitialKeys(this.retrySourceCid);
    // Everything sent in Initial packets goes again with the new keys and the token.
    const discarded = this.loss.discardSpace(PacketNumberSpace.Initial, now);
    void discarded;
    this.spaces[PacketNumberSpace.Initial].crypto.requeueUnacked();
    // The server dropped our 0-RTT packets with its Retry; their data may go again in 0-RTT to
    // the new connection ID, packet numbers continuing (RFC 9000 §17.2.5.3).
    if (this.zeroRtt) this.requeueZeroRtt(now, 'retry');
    if (this.qlog.enabled) this.qlog.event(now, 'transport:packet_received', { header: packetHeader('retry', 0, { scid }), raw: { length: packet.length } });
  }

  private onConnectionClose(f: Extract<Frame, { type: 'connection_close' }>, now: number): void {
    const reason = new TextDecoder().decode(f.reasonPhrase);
    this.events.push({
      type: 'connection_terminated', errorCode: f.errorCode, frameType: f.isApplicationError ? undefined : f.frameType, reason,
      application: f.isApplicationError, byPeer: true, cause: 'closed',
    });
    // RFC 9000 §10.2.2: enter draining for 3×PTO, sending nothing more.
    this.setState('draining', now);
    this.closeDeadline = now + 3 * this.loss.rtt.pto(true);
  }

  private onPeerAddressChange(from: PeerAddress, now: number): void {
    if (!this.handshakeConfirmed || this.config.disableActiveMigration && this.isClient) return;
    const old = this.peerAddress;
    this.peerAddress = from;
    this.protoops.slots.peer_address_changed(old, from);
    // RFC 9000 §9.3: validate the new path with PATH_CHALLENGE.
    this.pathChallenge = { data: this.provider.randomBytes(8), address: from, sentAt: -1 };
    if (this.qlog.enabled) this.qlog.event(now, 'connectivity:path_updated', { old: addressKey(old), new: addressKey(from) });
  }

  private onPathResponse(data: Uint8Array, now: number): void {
    if (this.pathChallenge && bytesEqual(this.pathChallenge.data, data)) {
      this.pathChallenge = undefined;
      if (this.qlog.enabled) this.qlog.event(now, 'connectivity:path_validated', {});
    }
  }

  // ---------------------------------------------------------------- send path

  /** The datagrams to send now, each a fresh copy with its destination (tests, simple hosts). */
  datagramsToSend(now: number): { data: Uint8Array; to: PeerAddress }[] {
    const out: { data: Uint8Array; to: PeerAddress }[] = [];
    // The bound keeps a misbehaving plugin (one that always has a frame to send) from looping.
    for (let i = 0; i < MAX_DATAGRAMS_PER_CALL; i++) {
      const size = this.writeDatagram(now, this.sendBuffer);
      if (size === 0) break;
      out.push({ data: copyBytes(this.sendBuffer, 0, size), to: this.datagramDestination });
    }
    return out;
  }

  /** Bytes a buffer given to writeDatagram must hold. */
  get datagramBufferSize(): number {
    return this.sendBuffer.length;
  }

  /** Where the datagram writeDatagram wrote last must go. */
  datagramDestination: PeerAddress;

  /**
   * The zero-copy send path: writes the next datagram to send now into out[0, size) and returns
   * its size, or 0 when there is nothing to send. Its destination is then `datagramDestination`.
   * `out` must hold datagramBufferSize bytes; the connection keeps no reference to it, so the
   * host can hand it to the socket and reuse it once the send completed. Call afterSend() once
   * a batch of datagrams is out.
   */
  writeDatagram(now: number, out: Uint8Array): number {
    try {
      return this.nextDatagram(now, out);
    } catch (e) {
      // A failing protoop (a plugin) on the send path closes the connection, never the process.
      this.onError(e, now);
      try {
        return this.nextDatagram(now, out);
      } catch {
        this.terminate(now, undefined);
        return 0;
      }
    }
  }

  private nextDatagram(now: number, out: Uint8Array): number {
    if (out.length < this.sendBuffer.length) throw new RangeError(`writeDatagram: the buffer holds ${out.length} bytes, ${this.sendBuffer.length} needed`);
    this.lastNow = now;
    if (this.state === 'closed' || this.state === 'draining') return 0;
    if (this.state === 'closing') {
      // RFC 9000 §10.2.1: CONNECTION_CLOSE again, at most once per PTO-ish interval.
      if (now - this.closeSentAt >= this.loss.rtt.pto(false) || this.closeSentAt === -Infinity) {
        this.closeSentAt = now;
        this.datagramDestination = this.peerAddress;
        return this.buildDatagram(now, 'close', out);
      }
      return 0;
    }
    if (this.pathChallenge && this.pathChallenge.sentAt < 0) {
      this.pathChallenge.sentAt = now;
      const size = this.buildDatagram(now, 'path_challenge', out);
      if (size > 0) {
        this.datagramDestination = this.pathChallenge.address;
        return size;
      }
    }
    const size = this.buildDatagram(now, 'normal', out);
    if (size > 0) this.datagramDestination = this.protoops.slots.select_sending_path();
    return size;
  }

  /** Builds one datagram into `buf`, coalescing packets of every space with something to send (RFC 9000 §12.2); returns its size. */
  private buildDatagram(now: number, mode: 'normal' | 'close' | 'path_challenge', buf: Uint8Array): number {
    const maxSize = this.config.maxDatagramSize;
    let limit = maxSize;
    if (!this.addressValidated) {
      const allowance = AMPLIFICATION_FACTOR * this.amplificationReceived - this.amplificationSent;
      if (allowance < limit) limit = allowance;
      if (limit < 60) {
        this.loss.setAmplificationLimited(true, now);
        return 0;
      }
    }
    const w = this.datagramWriter.reset(buf, 0, limit);
    let containsInitial = false;
    const congestionOk = mode !== 'normal' || this.probeCount > 0 || this.cc.canSend(maxSize);
    // The packets of this datagram, one slot per space (reused: no array per datagram).
    const built = this.builtPackets;
    let count = 0;
    let ackEliciting = false;
    // A client's 0-RTT packet follows its Initial (RFC 9000 §12.2's order of encryption levels).
    // 0-RTT leaves ZERO_RTT_CWND_RESERVE datagrams of the window free: lost 0-RTT packets are not
    // declared lost before the handshake is confirmed (no PTO for them, RFC 9002 §6.2.1), so
    // without that room they could hold the window and leave the client's Finished to a PTO.
    const early = mode === 'normal' && this.isClient && this.zeroRttSendable() && this.cc.canSend(maxSize * (1 + ZERO_RTT_CWND_RESERVE));
    const order = early ? ZERO_RTT_ORDER : SPACE_ORDER;
    let zeroRttIndex = -1;
    for (let i = 0; i < 3; i++) {
      const spaceId = order[i]!;
      const space = this.spaces[spaceId];
      const zeroRtt = early && spaceId === PacketNumberSpace.ApplicationData;
      if (!space.canSend && !zeroRtt) continue;
      if (mode === 'path_challenge' && spaceId !== PacketNumberSpace.ApplicationData) continue;
      const remaining = limit - w.position;
      if (remaining < 48) break;
      // With 0-RTT to follow, the Initial leaves the datagram's padding to the 0-RTT packet
      // (RFC 9000 §14.1 allows either) unless too little room would be left for one.
      const leaveRoom = early && spaceId === PacketNumberSpace.Initial ? ZERO_RTT_MIN_PACKET : 0;
      const padTo = containsInitial || spaceId === PacketNumberSpace.Initial ? limit : 0;
      const packet = this.buildPacket(w, spaceId, now, mode, congestionOk, padTo, zeroRtt, leaveRoom);
      if (packet) {
        if (zeroRtt) zeroRttIndex = count;
        built[count] = packet;
        this.builtSpaces[count++] = spaceId;
        if (packet.ackEliciting) ackEliciting = true;
        if (spaceId === PacketNumberSpace.Initial) containsInitial = true;
      }
    }
    if (count === 0) return 0;
    const size = w.position;
    // Client Initial datagrams are padded inside the last packet (buildPacket pads when asked).
    for (let i = 0; i < count; i++) {
      const packet = built[i]!;
      built[i] = undefined;
      const spaceId = this.builtSpaces[i]! as PacketNumberSpace;
      this.loss.onPacketSent(spaceId, packet);
      if (i === zeroRttIndex) this.zeroRtt!.onPacketSent(packet.pn);
      this.protoops.slots.before_sending_packet(i === zeroRttIndex ? '0RTT' : SPACE_PACKET_TYPE[spaceId]!, packet.pn, packet.size);
    }
    if (this.probeCount > 0 && ackEliciting) this.probeCount--;
    this.stats.packetsSent += count;
    this.stats.bytesSent += size;
    if (!this.addressValidated) this.amplificationSent += size;
    // RFC 9000 §10.1: the first ack-eliciting packet sent since the last one received restarts
    // the idle timer (later ones do not, or a silent peer would never time out).
    if (!this.ackElicitingSentSinceReceive && ackEliciting) {
      this.ackElicitingSentSinceReceive = true;
      this.armIdleTimer(now);
    }
    return size;
  }

  /** Scratch state of buildDatagram: the datagram writer and the packets it coalesced. */
  private readonly datagramWriter = new Writer(new Uint8Array(0));
  private readonly builtPackets: (SentPacket | undefined)[] = [undefined, undefined, undefined];
  /** @internal Records of sent packets and their STREAM frames, recycled (the stream scheduler takes frames here). */
  readonly sentRecords = new SentRecordPool();
  private readonly builtSpaces = new Uint8Array(3);

  /**
   * Writes one packet of `spaceId` at the writer's position. `padTo` > 0 pads the packet so the
   * datagram reaches that size (Initial packets). Returns undefined when there is nothing to send.
   */
  /** Scratch objects of buildPacket, reused for every packet (the hot path allocates less). */
  private readonly shortHeaderFields: ShortHeaderFields = { dcid: new Uint8Array(0), packetNumber: 0, pnLength: 1, keyPhase: false };
  private readonly frameWriter = new Writer(new Uint8Array(0));
  private readonly ackFrame: ScratchAck = { type: 'ack', largestAcknowledged: 0, ackDelay: 0, ranges: NO_RANGES, ecn: null };

  private buildPacket(
    w: Writer, spaceId: PacketNumberSpace, now: number, mode: 'normal' | 'close' | 'path_challenge', congestionOk: boolean, padTo: number,
    zeroRtt = false, leaveRoom = 0,
  ): SentPacket | undefined {
    const space = this.spaces[spaceId];
    const start = w.position;
    const pn = space.nextPn;
    const pnLength = packetNumberLength(pn, space.largestAckedPn);
    const dcid = this.protoops.slots.get_destination_connection_id();
    const type = zeroRtt ? '0RTT' : SPACE_PACKET_TYPE[spaceId]!;
    const off = this.offsets;
    if (spaceId === PacketNumberSpace.ApplicationData && !zeroRtt) {
      const h = this.shortHeaderFields;
      h.dcid = dcid;
      h.packetNumber = pn;
      h.pnLength = pnLength;
      h.keyPhase = (space.oneRtt?.keyPhase ?? 0) === 1;
      writeShortHeader(w, h, off);
    } else {
      writeLongHeader(w, {
        type: type as LongProtectedPacketType, version: this.config.versions[0]!, dcid, scid: this.cids.hostCid,
        ...(spaceId === PacketNumberSpace.Initial && this.isClient ? { token: this.retryToken } : {}),
        packetNumber: pn, pnLength,
      }, off);
    }
    this.protoops.slots.header_prepared(type, pn);
    const payloadStart = w.position;
    // Room for the AEAD tag is kept out of the frame area.
    const frameEnd = w.end - AEAD_TAG_LENGTH;
    // One frame writer serves every packet: hooks that receive it use it only during their call.
    const fw = this.frameWriter.reset(w.buf, payloadStart, frameEnd);
    const record = this.sentRecords.packet();
    const frames = record.frames;
    const log: Frame[] | undefined = this.qlog.enabled ? [] : undefined;
    let ackEliciting = false;

    if (mode === 'close') {
      const cf = this.closeFrame!;
      // RFC 9000 §10.2.3: an application close in Initial/Handshake becomes a transport one.
      const f: Frame = spaceId !== PacketNumberSpace.ApplicationData && cf.type === 'connection_close' && cf.isApplicationError
        ? { type: 'connection_close', isApplicationError: false, errorCode: TransportErrorCode.APPLICATION_ERROR, frameType: 0, reasonPhrase: new Uint8Array(0) }
        : cf;
      putFrame(fw, frames, log, f, { k: 'close' });
    } else if (mode === 'path_challenge') {
      if (!this.pathChallenge) return undefined;
      putFrame(fw, frames, log, { type: 'path_challenge', data: this.pathChallenge.data }, { k: 'path_challenge' });
      ackEliciting = true;
    } else if (zeroRtt) {
      if (this.writeZeroRttFrames(fw, frames, log, now)) ackEliciting = true;
    } else {
      // Reserved frames (plugins) lead 1-RTT packets: a peer reading an FEC RECOVERED frame
      // before the ACK in the same packet does not declare the recovered packet lost.
      if (spaceId === PacketNumberSpace.ApplicationData && this.writeReservedFrames(fw, frames, log, congestionOk)) ackEliciting = true;
      // ACK next: it is not congestion controlled (RFC 9002 §7).
      if (this.protoops.slots.is_ack_needed(spaceId, now) || (space.ack.hasUnreported() && (congestionOk && this.hasAckElicitingToSend(spaceId)))) {
        const ack = space.ack.buildAck(now, spaceId === PacketNumberSpace.ApplicationData ? this.config.ackDelayExponent : 3);
        if (ack) {
          // The scratch frame unless qlog keeps the frame past this packet; the record is recycled.
          const f: ScratchAck = log ? { type: 'ack', largestAcknowledged: 0, ackDelay: 0, ranges: [], ecn: null } : this.ackFrame;
          f.largestAcknowledged = ack.largestAcknowledged;
          f.ackDelay = ack.ackDelay;
          // The ACK manager rewrites its ranges on the next ACK: qlog's frame gets a copy.
          f.ranges = log ? ack.ranges.map((x) => [x[0], x[1]]) : ack.ranges;
          putFrame(fw, frames, log, f, this.sentRecords.ackFrame(ack.largestAcknowledged));
          f.ranges = NO_RANGES; // do not keep the ACK manager's arrays through the scratch frame
        }
      }
      if (congestionOk) {
        // CRYPTO data (handshake) has priority.
        while (space.crypto.hasDataToSend && fw.remaining > 16) {
          const c = space.crypto.nextFrame(fw.remaining - 16);
          if (!c) break;
          putFrame(fw, frames, log, { type: 'crypto', offset: c.offset, data: c.data }, { k: 'crypto', offset: c.offset, length: c.data.length });
          ackEliciting = true;
        }
        if (spaceId === PacketNumberSpace.ApplicationData) {
          if (this.pendingHandshakeDone && putFrame(fw, frames, log, { type: 'handshake_done' }, { k: 'handshake_done' })) {
            this.pendingHandshakeDone = false;
            ackEliciting = true;
          }
          while (this.pendingPathResponses.length > 0) {
            if (!putFrame(fw, frames, log, { type: 'path_response', data: this.pendingPathResponses[0]! }, undefined)) break;
            this.pendingPathResponses.shift();
            ackEliciting = true;
          }
          if (this.cids.writeFrames(fw, frames, log)) ackEliciting = true;
          if (this.streams.writeControlFrames(fw, frames, log, now)) ackEliciting = true;
          this.protoops.slots.prepare_packet_ready(spaceId, fw, frames, now);
          const before = frames.length;
          // The stream scheduler may be given less than the whole packet, so that frames a plugin
          // reserves while it runs (an FEC source symbol id, say) still fit after it.
          const end = fw.end;
          const allowed = Math.max(0, Math.min(fw.remaining, Number(this.protoops.slots.stream_bytes_max(spaceId, fw.remaining))));
          fw.end = fw.position + allowed;
          try {
            this.protoops.slots.schedule_frames_on_path(fw, frames, now);
          } finally {
            fw.end = end;
          }
          if (frames.length > before) ackEliciting = true;
          if (log) for (let i = before; i < frames.length; i++) log.push(sentFrameForLog(frames[i]!));
          if (this.writeReservedFrames(fw, frames, log, true)) ackEliciting = true;
          if (this.pendingPing !== undefined && putFrame(fw, frames, log, { type: 'ping' }, { k: 'ping', uid: this.pendingPing })) {
            this.pendingPing = undefined;
            ackEliciting = true;
          }
        }
        if (!ackEliciting && this.probeCount > 0 && this.probeSpace === spaceId) {
          // A PTO probe must be ack-eliciting (RFC 9002 §6.2.4).
          putFrame(fw, frames, log, PROBE_PING_FRAME, PROBE_PING_SENT);
          ackEliciting = true;
        }
      }
    }
    // A 0-RTT packet asked to pad a client Initial's datagram is sent even without frames.
    if (fw.position === payloadStart && !(zeroRtt && padTo > 0)) {
      w.position = start;
      this.sentRecords.discard(record);
      return undefined;
    }
    // Padding: Initial datagrams to 1200 bytes, and enough payload for the header protection sample.
    const minPayload = Math.max(0, 4 - pnLength);
    let payloadEnd = fw.position;
    if (payloadEnd - payloadStart < minPayload) {
      fw.zeros(minPayload - (payloadEnd - payloadStart));
      payloadEnd = fw.position;
    }
    if (padTo > 0 && (this.isClient || ackEliciting) && !(leaveRoom > 0 && w.end - AEAD_TAG_LENGTH - payloadEnd >= leaveRoom)) {
      const target = Math.min(padTo, w.end) - AEAD_TAG_LENGTH;
      if (payloadEnd < target) {
        const padding = target - payloadEnd;
        fw.zeros(padding);
        payloadEnd = fw.position;
        log?.push({ type: 'padding', length: padding });
      }
    }
    // Unhooked, finalize_and_protect_packet returns `used`: skip the call and its buffer view.
    if (spaceId === PacketNumberSpace.ApplicationData && this.finalizeOp.hooked) {
      const capacity = frameEnd - payloadStart;
      const used = Number(this.protoops.slots.finalize_and_protect_packet(spaceId, pn, w.buf.subarray(payloadStart, frameEnd), payloadEnd - payloadStart));
      if (!Number.isSafeInteger(used) || used < payloadEnd - payloadStart || used > capacity) {
        throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `finalize_and_protect_packet returned ${used} bytes (frames ${payloadEnd - payloadStart}, room ${capacity})`);
      }
      if (used > payloadEnd - payloadStart) {
        payloadEnd = payloadStart + used;
        ackEliciting = true;
      }
    }
    const packetEnd = payloadEnd + AEAD_TAG_LENGTH;
    w.position = packetEnd;
    if (off.lengthOffset >= 0) patchLongHeaderLength(w, off, packetEnd);
    (zeroRtt ? this.zeroRtt!.protector! : space.send!).protect(w.buf, off.packetStart, off.pnOffset, off.pnLength, packetEnd, pn);
    space.nextPn++;
    const size = packetEnd - start;
    const packet = record;
    packet.pn = pn;
    packet.timeSent = now;
    packet.size = size;
    packet.ackEliciting = ackEliciting;
    packet.inFlight = ackEliciting || padTo > 0;
    if (log && this.qlog.enabled) {
      this.qlog.event(now, 'transport:packet_sent', { header: packetHeader(type, pn, { dcid }), raw: { length: size }, frames: this.logFrames(log) });
    }
    // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
    if (this.isClient && spaceId === PacketNumberSpace.Handshake) this.discardSpaceLater = true;
    return packet;
  }

  private discardSpaceLater = false;

  /**
   * A 0-RTT packet's frames: stream data and the stream control frames, and a PING when asked;
   * never ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE or RETIRE_CONNECTION_ID
   * (RFC 9000 §12.4, §17.2.3), nor plugin frames, whose types the core cannot vouch for.
   */
  private writeZeroRttFrames(fw: Writer, frames: SentFrame[], log: Frame[] | undefined, now: number): boolean {
    let ackEliciting = this.streams.writeControlFrames(fw, frames, log, now);
    const before = frames.length;
    this.streams.writeStreamFrames(fw, frames, now);
    if (frames.length > before) ackEliciting = true;
    if (log) for (let i = before; i < frames.length; i++) log.push(sentFrameForLog(frames[i]!));
    if (this.pendingPing !== undefined && putFrame(fw, frames, log, { type: 'ping' }, { k: 'ping', uid: this.pendingPing })) {
      this.pendingPing = undefined;
      ackEliciting = true;
    }
    return ackEliciting;
  }

  /**
   * Reserved frames (plugins) through write_frame[type]: in order per owner; a slot that must
   * wait (no room in this packet, the window, or the owner's share) holds back its owner's later
   * slots, not other owners'.
   */
  private writeReservedFrames(fw: Writer, frames: SentFrame[], log: Frame[] | undefined, congestionOk: boolean): boolean {
    if (this.reserved.length === 0) return false;
    let wrote = false;
    // The most a 1-RTT packet can carry: a reservation above it would block the queue forever.
    const largest = this.config.maxDatagramSize - (1 + this.cids.peerCid.length + 4) - AEAD_TAG_LENGTH;
    const share = this.cc.congestionWindow * PLUGIN_CWND_SHARE;
    const streamsWaiting = this.streams.hasDataToSend();
    const waiting = this.waitingOwners;
    waiting.clear();
    for (let i = 0; i < this.reserved.length;) {
      const slot = this.reserved[i]!;
      if (slot.bytes > largest) {
        this.reserved.splice(i, 1);
        this.notifyFrameOp.fn(slot.type)?.(slot.ctx, false);
        continue;
      }
      const inFlight = slot.cc ? this.pluginBytesInFlight.get(slot.owner) ?? 0 : 0;
      if (waiting.has(slot.owner) || slot.bytes > fw.remaining || (slot.cc && !congestionOk)
        || (slot.cc && !slot.unlimited && streamsWaiting && inFlight + slot.bytes > share)) {
        waiting.add(slot.owner);
        i++;
        continue;
      }
      const write = this.writeFrameOp.fn(slot.type);
      this.reserved.splice(i, 1);
      if (!write) continue;
      const n = Number(write(fw, Math.min(fw.remaining, slot.bytes), slot.ctx) ?? 0);
      if (n > 0) {
        const ccBytes = slot.cc ? n : 0;
        if (ccBytes > 0) this.pluginBytesInFlight.set(slot.owner, inFlight + ccBytes);
        frames.push({ k: 'plugin', type: slot.type, ctx: slot.ctx, owner: slot.owner, ccBytes });
        log?.push({ type: 'plugin', frameType: slot.type } as unknown as Frame);
        wrote = true;
      }
    }
    return wrote;
  }

  /** A sent packet's plugin frames left the network (acknowledged, lost or recovered). */
  private releasePluginFrames(frames: readonly SentFrame[]): void {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (f.k !== 'plugin' || f.ccBytes === 0) continue;
      const left = (this.pluginBytesInFlight.get(f.owner) ?? 0) - f.ccBytes;
      if (left > 0) this.pluginBytesInFlight.set(f.owner, left);
      else this.pluginBytesInFlight.delete(f.owner);
      f.ccBytes = 0;
    }
  }

  /** Bytes of an owner's congestion-controlled reserved frames in flight (tests, statistics). */
  pluginInFlight(owner: string): number {
    return this.pluginBytesInFlight.get(owner) ?? 0;
  }

  private hasAckElicitingToSend(spaceId: PacketNumberSpace): boolean {
    const space = this.spaces[spaceId];
    if (space.crypto.hasDataToSend) return true;
    if (spaceId !== PacketNumberSpace.ApplicationData) return false;
    return this.pendingHandshakeDone || this.pendingPathResponses.length > 0 || this.pendingPing !== undefined || this.reserved.length > 0 || this.streams.hasDataToSend() || this.cids.hasFramesToSend();
  }

  // ---------------------------------------------------------------- timers

  /** Absolute time (µs) of the next timer, or undefined. */
  getTimer(): number | undefined {
    if (this.state === 'closed') return undefined;
    try {
      const t = this.protoops.slots.set_next_wake_time(this.lastNow);
      return typeof t === 'number' && Number.isFinite(t) ? t : this.computeTimer();
    } catch (e) {
      this.onError(e, this.lastNow);
      return this.computeTimer();
    }
  }

  private computeTimer(): number | undefined {
    if (this.state === 'closing' || this.state === 'draining') return this.closeDeadline;
    // A negative t is "none" (NO_IDLE_DEADLINE), and an indexed loop: no undefined-or-double
    // local (boxed), no iterator.
    let t = this.idleDeadline;
    const lossTimer = this.loss.getLossDetectionTimer();
    if (lossTimer !== undefined && (t < 0 || lossTimer < t)) t = lossTimer;
    const spaces = this.spaces;
    for (let i = 0; i < spaces.length; i++) {
      const s = spaces[i]!;
      if (!s.canSend) continue;
      const d = s.ack.ackDeadline();
      if (d !== undefined && (t < 0 || d < t)) t = d;
    }
    // Whole microseconds (should a deadline be fractional): the host gets a small integer, which
    // V8 passes without a HeapNumber while it fits 31 bits; a timer up to 1 µs late is harmless
    // next to kGranularity (1 ms, RFC 9002 §6.1.2).
    return t < 0 ? undefined : Math.ceil(t);
  }

  handleTimer(now: number): void {
    try {
      this.onTimer(now);
    } catch (e) {
      this.onError(e, now);
    }
  }

  private onTimer(now: number): void {
    this.lastNow = now;
    if (this.state === 'closed') return;
    if (this.closeDeadline !== undefined && now >= this.closeDeadline) {
      // The event was delivered when closing or draining began.
      this.terminate(now, undefined);
      return;
    }
    if (this.idleDeadline !== NO_IDLE_DEADLINE && now >= this.idleDeadline && this.state !== 'closing' && this.state !== 'draining') {
      // RFC 9000 §10.1: silently close.
      this.terminate(now, {
        type: 'connection_terminated', errorCode: 0, frameType: undefined, reason: 'idle timeout', application: false, byPeer: false, cause: 'idle_timeout',
      });
      return;
    }
    const lossTimer = this.loss.getLossDetectionTimer();
    if (lossTimer !== undefined && now >= lossTimer) {
      const r = this.loss.onLossDetectionTimeout(now);
      // The result is loss detection's reused one: hold it while protoops run.
      this.loss.timeoutResultReaders++;
      try {
        this.processLossTimeout(r, now);
      } finally {
        this.loss.timeoutResultReaders--;
      }
    }
  }

  /** What a loss-detection timeout decided: time-threshold losses to requeue, or PTO probes. */
  private processLossTimeout(r: LossTimeoutResult, now: number): void {
    if (r.kind === 'loss') {
      // Indexed: a `for…of` V8 has not optimised allocates an iterator and a result per packet.
      for (let i = 0; i < r.lost.length; i++) {
        const p = r.lost[i]!;
        this.stats.packetsLost++;
        this.releasePluginFrames(p.frames as SentFrame[]);
        this.protoops.slots.packet_was_lost(p, r.space);
        this.requeueLost(p, r.space);
        if (this.qlog.enabled) this.qlog.event(now, 'recovery:packet_lost', { header: packetHeader(SPACE_PACKET_TYPE[r.space]!, p.pn), trigger: 'time_threshold' });
      }
      this.sentRecords.releaseAll(r.lost);
    } else if (r.kind === 'pto') {
      this.protoops.slots.retransmission_timeout(r.space, r.probes);
      this.probeSpace = r.space;
      this.probeCount = r.probes;
      // RFC 9002 §6.2.4: probes carry new data or retransmit unacknowledged data.
      const space = this.spaces[r.space];
      if (space.crypto.hasDataToSend === false) space.crypto.requeueUnacked();
      if (r.antiDeadlock && r.space === PacketNumberSpace.Initial) space.crypto.requeueUnacked();
      if (this.qlog.enabled) this.qlog.event(now, 'recovery:loss_timer_updated', { event_type: 'expired', timer_type: 'pto', packet_number_space: SPACE_PACKET_TYPE[r.space] });
    }
  }

  // ---------------------------------------------------------------- lifecycle

  private onError(e: unknown, now: number): void {
    if (e instanceof QuicError) {
      this.protoops.slots.connection_error(e.code, e.frameType ?? 0, e.reason);
      this.closeFrame = {
        type: 'connection_close', isApplicationError: false, errorCode: e.code, frameType: e.frameType ?? 0,
        reasonPhrase: new TextEncoder().encode(e.reason.slice(0, 200)),
      };
      this.enterClosing(now, {
        type: 'connection_terminated', errorCode: e.code, frameType: e.frameType, reason: e.reason, application: false, byPeer: false, cause: isCryptoError(e.code) ? 'tls_error' : 'protocol_error',
      });
      return;
    }
    // A bug of ours must not take the process down: close with INTERNAL_ERROR.
    const reason = e instanceof Error ? e.message : String(e);
    this.closeFrame = { type: 'connection_close', isApplicationError: false, errorCode: TransportErrorCode.INTERNAL_ERROR, frameType: 0, reasonPhrase: new TextEncoder().encode('internal error') };
    this.enterClosing(now, {
      type: 'connection_terminated', errorCode: TransportErrorCode.INTERNAL_ERROR, frameType: undefined, reason: `internal error: ${reason}`,
      application: false, byPeer: false, cause: 'internal_error',
    });
  }

  private enterClosing(now: number, event: QuicEvent): void {
    // The application learns of the end at once; the connection lingers to repeat CONNECTION_CLOSE.
    this.events.push(event);
    this.setState('closing', now);
    this.closeDeadline = now + 3 * this.loss.rtt.pto(true);
    this.closeSentAt = -Infinity;
  }

  private terminate(now: number, event: QuicEvent | undefined): void {
    if (this.state === 'closed') return;
    if (event) this.events.push(event);
    this.setState('closed', now);
    this.closeDeadline = undefined;
    this.idleDeadline = NO_IDLE_DEADLINE;
    this.qlog.close();
  }

  private setState(to: ConnectionState, now: number): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.protoops.slots.connection_state_changed(from, to);
    if (this.qlog.enabled) this.qlog.event(now, 'connectivity:connection_state_updated', { old: from, new: to });
  }

  discardSpace(spaceId: PacketNumberSpace, now: number): void {
    const space = this.spaces[spaceId];
    if (space.discarded) return;
    space.discarded = true;
    space.send = undefined;
    space.recv = undefined;
    this.sentRecords.releaseAll(this.loss.discardSpace(spaceId, now));
    if (this.qlog.enabled) this.qlog.event(now, 'security:key_discarded', { key_type: spaceId === 0 ? 'initial' : 'handshake' });
  }

  /** Called by the endpoint after datagramsToSend: applies deferred key discards. */
  afterSend(now: number): void {
    if (this.discardSpaceLater) {
      this.discardSpaceLater = false;
      this.discardSpace(PacketNumberSpace.Initial, now);
    }
  }

  private isStatelessReset(data: Uint8Array): boolean {
    // RFC 9000 §10.3.1: the last 16 bytes of a datagram that could not be processed.
    if (data.length < 21) return false;
    return this.cids.isStatelessResetToken(data.subarray(data.length - RESET_TOKEN_LENGTH));
  }

  private dropped(now: number, trigger: string, length: number): void {
    if (this.qlog.enabled) this.qlog.event(now, 'transport:packet_dropped', { trigger, raw: { length } });
  }

  /** The idle timeout in µs, 0 for none. */
  private idleTimeoutUs(): number {
    // RFC 9000 §10.1: the minimum of both advertised values (0 = none), at least 3×PTO.
    const local = this.config.maxIdleTimeoutMs;
    const peer = this.peerParams?.maxIdleTimeout ?? 0;
    const ms = local === 0 ? peer : peer === 0 ? local : Math.min(local, peer);
    if (ms === 0) return 0;
    return Math.max(ms * 1000, 3 * this.loss.rtt.pto(true));
  }

  /** (Re)starts the idle timer at `now` (RFC 9000 §10.1), or clears it if there is no timeout. */
  private armIdleTimer(now: number): void {
    const timeout = this.idleTimeoutUs();
    this.idleDeadline = timeout === 0 ? NO_IDLE_DEADLINE : now + timeout;
  }

  private logMetrics(now: number): void {
    const r = this.loss.rtt;
    this.qlog.event(now, 'recovery:metrics_updated', {
      min_rtt: r.minRtt / 1000, smoothed_rtt: r.smoothedRtt / 1000, latest_rtt: r.latestRtt / 1000, rtt_variance: r.rttvar / 1000,
      congestion_window: this.cc.congestionWindow, bytes_in_flight: this.cc.bytesInFlight, pto_count: this.loss.ptoCount,
    });
  }

  /** @internal used by StreamManager and ConnectionIds */
  pushEvent(e: QuicEvent): void {
    this.events.push(e);
  }

  /** The time of the latest call into the connection (µs): "now" for its plugins. */
  get nowUs(): number {
    return this.lastNow;
  }

  /** When the connection was created (µs). */
  get startTimeUs(): number {
    return this.startUs;
  }

  /** @internal smoothed RTT in µs for flow-control auto-tuning */
  get smoothedRtt(): number {
    return this.loss.rtt.smoothedRtt;
  }
}


function tpForQlog(p: TransportParameters): Record<string, unknown> {
  return {
    max_idle_timeout: p.maxIdleTimeout, max_udp_payload_size: p.maxUdpPayloadSize, initial_max_data: p.initialMaxData,
    initial_max_stream_data_bidi_local: p.initialMaxStreamDataBidiLocal, initial_max_stream_data_bidi_remote: p.initialMaxStreamDataBidiRemote,
    initial_max_stream_data_uni: p.initialMaxStreamDataUni, initial_max_streams_bidi: p.initialMaxStreamsBidi,
    initial_max_streams_uni: p.initialMaxStreamsUni, ack_delay_exponent: p.ackDelayExponent, max_ack_delay: p.maxAckDelay,
    active_connection_id_limit: p.activeConnectionIdLimit, disable_active_migration: p.disableActiveMigration,
  };
}

/** qlog view of a frame the stream scheduler wrote (it logs ranges, not bytes). */
function sentFrameForLog(f: SentFrame): Frame {
  if (f.k === 'stream') return { type: 'stream', streamId: f.id, offset: f.offset, data: new Uint8Array(f.length), fin: f.fin };
  return { type: 'ping' };
}

