/**
 * Stream identifiers and stream counts, RFC 9000 §2.1, §3.2, §4.6, §19.11.
 *
 * The two low bits of a stream ID say who opened it (bit 0: 0 client, 1 server) and whether it
 * is bidirectional (bit 1: 0) or unidirectional (1); the rest is the stream's index among
 * streams of that type. Stream IDs stay below 2^62; we use numbers (indices below 2^51).
 */
import { QuicError, TransportErrorCode } from '../wire/errors.js';

export type StreamInitiator = 'client' | 'server';
export type StreamDirection = 'bidi' | 'uni';

/** RFC 9000 §4.6: a stream count above 2^60 cannot be expressed as a stream ID. */
export const MAX_STREAM_COUNT = 2 ** 60;

export function streamInitiator(id: number): StreamInitiator {
  return id % 2 === 0 ? 'client' : 'server';
}

export function streamDirection(id: number): StreamDirection {
  return Math.floor(id / 2) % 2 === 0 ? 'bidi' : 'uni';
}

export function isBidirectional(id: number): boolean {
  return streamDirection(id) === 'bidi';
}

export function isUnidirectional(id: number): boolean {
  return streamDirection(id) === 'uni';
}

/** The stream's position among streams of its type (0 for the first). */
export function streamIndex(id: number): number {
  return Math.floor(id / 4);
}

export function streamId(index: number, initiator: StreamInitiator, direction: StreamDirection): number {
  return index * 4 + (direction === 'uni' ? 2 : 0) + (initiator === 'server' ? 1 : 0);
}

/** Whether we (client or server) opened stream `id`. */
export function isLocallyInitiated(id: number, isClient: boolean): boolean {
  return (streamInitiator(id) === 'client') === isClient;
}

/** Whether the stream has a sending part on our side (§2.1: not a peer's unidirectional stream). */
export function hasSendSide(id: number, isClient: boolean): boolean {
  return isBidirectional(id) || isLocallyInitiated(id, isClient);
}

/** Whether the stream has a receiving part on our side (not one of our unidirectional streams). */
export function hasRecvSide(id: number, isClient: boolean): boolean {
  return isBidirectional(id) || !isLocallyInitiated(id, isClient);
}

/**
 * Which part of the stream a peer's frame is about: `recv` for STREAM, RESET_STREAM and
 * STREAM_DATA_BLOCKED (data the peer sends us), `send` for MAX_STREAM_DATA and STOP_SENDING.
 */
export type StreamFrameTarget = 'recv' | 'send';

/**
 * RFC 9000 §19.4-19.13: STREAM_STATE_ERROR for a frame about a stream part we do not have (our
 * unidirectional stream's receiving part, a peer unidirectional stream's sending part) or
 * about a locally initiated stream we have not opened. `localOpened` counts our streams of
 * that stream's type.
 */
export function checkStreamFrame(id: number, isClient: boolean, target: StreamFrameTarget, localOpened: number): void {
  const exists = target === 'recv' ? hasRecvSide(id, isClient) : hasSendSide(id, isClient);
  if (!exists) {
    const part = target === 'recv' ? 'send-only' : 'receive-only';
    throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, `frame for the ${part} stream ${id}`);
  }
  if (isLocallyInitiated(id, isClient) && streamIndex(id) >= localOpened) {
    throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, `frame for stream ${id}, which we have not opened`);
  }
}

/**
 * Limits on the streams the peer opens, of one direction (§4.6): the MAX_STREAMS count we
 * advertise and the implicit opening of lower-numbered streams (§3.2).
 */
export class PeerStreamLimit {
  readonly initiator: StreamInitiator;
  readonly direction: StreamDirection;
  /** The count we advertised (initial_max_streams_* or our last MAX_STREAMS). */
  maxStreams: number;
  /** Streams the peer has opened: indices 0 .. opened-1. */
  opened = 0;
  /** Peer streams fully closed, whose credit can be returned. */
  closed = 0;
  /** How many streams the peer may have open at once (the window MAX_STREAMS maintains). */
  readonly window: number;

  constructor(isClient: boolean, direction: StreamDirection, initialMaxStreams: number) {
    this.initiator = isClient ? 'server' : 'client';
    this.direction = direction;
    this.maxStreams = initialMaxStreams;
    this.window = initialMaxStreams;
  }

  isOpened(id: number): boolean {
    return streamIndex(id) < this.opened;
  }

  /**
   * A frame referenced peer stream `id`. Returns the stream IDs this opens, lowest first: the
   * stream and every unopened lower stream of the same type (§3.2); empty if already open.
   * STREAM_LIMIT_ERROR past our advertised limit (§4.6).
   */
  open(id: number): number[] {
    if (streamInitiator(id) !== this.initiator || streamDirection(id) !== this.direction) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `stream ${id} is not a peer ${this.direction} stream`);
    }
    const index = streamIndex(id);
    if (index >= this.maxStreams) {
      throw new QuicError(
        TransportErrorCode.STREAM_LIMIT_ERROR,
        `peer opened ${this.direction} stream ${id} (index ${index}) beyond our limit of ${this.maxStreams}`,
      );
    }
    const ids: number[] = [];
    for (let i = this.opened; i <= index; i++) ids.push(streamId(i, this.initiator, this.direction));
    if (index >= this.opened) this.opened = index + 1;
    return ids;
  }

  /** A peer stream ended on both sides and was forgotten. */
  onStreamClosed(): void {
    this.closed++;
  }

  /** Return credit once half the window was used up by closed streams. */
  shouldSendMaxStreams(): boolean {
    return this.closed + this.window - this.maxStreams >= Math.max(1, this.window / 2);
  }

  /** Raises the limit to closed + window and returns it for MAX_STREAMS. */
  nextMaxStreams(): number {
    this.maxStreams = Math.min(Math.max(this.maxStreams, this.closed + this.window), MAX_STREAM_COUNT);
    return this.maxStreams;
  }
}

/** Limits on the streams we open, of one direction: the peer's MAX_STREAMS (§4.6). */
export class LocalStreamLimit {
  readonly initiator: StreamInitiator;
  readonly direction: StreamDirection;
  /** The peer's limit on how many of our streams of this type may exist. */
  maxStreams: number;
  /** Streams we opened: indices 0 .. opened-1. */
  opened = 0;
  private blockedReportedAt: number | undefined;

  constructor(isClient: boolean, direction: StreamDirection, initialMaxStreams: number) {
    this.initiator = isClient ? 'client' : 'server';
    this.direction = direction;
    this.maxStreams = checkStreamCount(initialMaxStreams, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  }

  canOpen(): boolean {
    return this.opened < this.maxStreams;
  }

  /** The ID of our next stream, or undefined when the peer's limit is reached. */
  open(): number | undefined {
    if (!this.canOpen()) return undefined;
    return streamId(this.opened++, this.initiator, this.direction);
  }

  /** A MAX_STREAMS frame (limits never shrink). FRAME_ENCODING_ERROR above 2^60 (§19.11). */
  onMaxStreams(count: number): boolean {
    checkStreamCount(count, TransportErrorCode.FRAME_ENCODING_ERROR);
    if (count <= this.maxStreams) return false;
    this.maxStreams = count;
    return true;
  }

  /** The limit for a STREAMS_BLOCKED frame, once per limit, when we want a stream and cannot open one. */
  takeBlocked(): number | undefined {
    if (this.canOpen() || this.blockedReportedAt === this.maxStreams) return undefined;
    this.blockedReportedAt = this.maxStreams;
    return this.maxStreams;
  }
}

function checkStreamCount(count: number, code: number): number {
  if (count > MAX_STREAM_COUNT) throw new QuicError(code, `stream count ${count} exceeds 2^60`);
  return count;
}
