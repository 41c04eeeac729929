/**
 * The qlog trace writer: one JSON-SEQ stream (RFC 7464) per connection. The first record is the
 * qlog file header (`QlogFileSeq`, draft-ietf-quic-qlog-main-schema-04, qlog_version "0.3"),
 * every further record is one event `{ time, name, data }` with `time` in milliseconds relative
 * to the trace's start (common_fields.time_format = "relative").
 *
 * Every record is RS (0x1E) + JSON text + LF. JSON.stringify escapes control characters inside
 * strings, so neither RS nor LF can appear inside a record.
 */

import { hex } from './format.js';

/** What the connection logs to. */
export interface QlogTrace {
  /** false for the no-op trace (and after close or an I/O error): callers skip building event data. */
  readonly enabled: boolean;
  /** Logs one event; `timeUs` is on the same clock as the trace's `startTimeUs`. Never throws. */
  event(timeUs: number, name: string, data: Record<string, unknown>): void;
  /** Flushes and closes; idempotent. Never throws. */
  close(): void;
}

/** A trace with an explicit flush (what this module's writers return). */
export interface QlogWriter extends QlogTrace {
  /** Hands buffered records to the sink now. Never throws. */
  flush(): void;
}

/** The "qlog_version" of the header: the main schema's JSON-SEQ mapping of drafts -01 to -05. */
export const QLOG_VERSION = '0.3';
export const QLOG_FORMAT = 'JSON-SEQ';
/** Media type and file suffix the main schema gives the JSON-SEQ mapping. */
export const QLOG_MEDIA_TYPE = 'application/qlog+json-seq';
export const QLOG_FILE_SUFFIX = '.sqlog';

/** RFC 7464 record separator. */
export const RECORD_SEPARATOR = '\x1e';

/** Default buffer size before records go to the sink. */
export const DEFAULT_QLOG_BUFFER_BYTES = 16 * 1024;
/** Default longest span of event time (µs) a record waits in the buffer while events keep coming. */
export const DEFAULT_QLOG_FLUSH_INTERVAL_US = 1_000_000;

export interface QlogWriterOptions {
  vantage: 'client' | 'server';
  /** The Original Destination Connection ID: names the trace (common_fields.ODCID, group_id). */
  odcid: Uint8Array;
  title?: string;
  description?: string;
  /** Time origin of the trace, on the clock of the `timeUs` arguments of `event`. */
  startTimeUs: number;
  /**
   * Wall-clock time (Unix epoch, ms) that `startTimeUs` corresponds to, written as
   * common_fields.reference_time. Default: `Date.now()` when the writer is created.
   */
  referenceTimeMs?: number;
  /**
   * Records are batched until this many characters are pending (0: every event is handed to
   * the sink immediately). Default 16 KiB.
   */
  bufferBytes?: number;
  /**
   * Also flush when an event comes this much later (µs, event time) than the last flush, so a
   * slow connection's file does not lag by minutes. Default 1 s.
   */
  flushIntervalUs?: number;
  /**
   * Called once with the first error the sink throws; the trace is disabled from then on.
   * Default: one line on stderr.
   */
  onError?: (err: unknown) => void;
}

/** The no-op trace: `enabled` is false and every method does nothing. */
export const NULL_QLOG: QlogWriter = Object.freeze({
  enabled: false,
  event(): void {},
  flush(): void {},
  close(): void {},
});

/** Writes one line about a qlog failure to stderr (or the console outside Node). Never throws. */
export function reportQlogError(context: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const line = `qlog: ${context}: ${message}; qlog disabled for this trace\n`;
  try {
    if (typeof process !== 'undefined' && process.stderr && typeof process.stderr.write === 'function') {
      process.stderr.write(line);
    } else {
      console.error(line.trimEnd());
    }
  } catch {
    // Nowhere left to report to.
  }
}

/** The header record's JSON object (without framing). */
export function qlogHeader(opts: QlogWriterOptions, referenceTimeMs: number): Record<string, unknown> {
  const odcid = hex(opts.odcid);
  const title = opts.title ?? `pquic-ts ${opts.vantage} ${odcid}`;
  const trace: Record<string, unknown> = { title };
  if (opts.description !== undefined) trace.description = opts.description;
  trace.vantage_point = { type: opts.vantage };
  trace.common_fields = {
    ODCID: odcid,
    group_id: odcid,
    protocol_type: ['QUIC'],
    time_format: 'relative',
    reference_time: referenceTimeMs,
  };
  const header: Record<string, unknown> = { qlog_version: QLOG_VERSION, qlog_format: QLOG_FORMAT, title };
  if (opts.description !== undefined) header.description = opts.description;
  header.trace = trace;
  return header;
}

/**
 * A trace writing JSON-SEQ records to `sink`. The header record goes to the sink at once; events
 * are batched (see `bufferBytes`, `flushIntervalUs`) and handed over by `flush` and `close`.
 * A sink that throws disables the trace (reported once through `onError`).
 */
export function createQlogWriter(sink: (chunk: string) => void, opts: QlogWriterOptions): QlogWriter {
  return new SeqWriter(sink, opts);
}

/** Hook for `openQlogFile`: called once after the final flush of `close`, or after a sink error. */
export interface SeqWriterHooks {
  onClose?: () => void;
}

export class SeqWriter implements QlogWriter {
  private readonly sink: (chunk: string) => void;
  private readonly startUs: number;
  private readonly limit: number;
  private readonly intervalUs: number;
  private readonly onError: (err: unknown) => void;
  private readonly onClose: (() => void) | undefined;
  private buf = '';
  private lastFlushUs: number;
  private on = true;
  private closed = false;
  private finishCalled = false;

  constructor(sink: (chunk: string) => void, opts: QlogWriterOptions, hooks: SeqWriterHooks = {}) {
    this.sink = sink;
    this.startUs = opts.startTimeUs;
    this.limit = Math.max(0, opts.bufferBytes ?? DEFAULT_QLOG_BUFFER_BYTES);
    this.intervalUs = opts.flushIntervalUs ?? DEFAULT_QLOG_FLUSH_INTERVAL_US;
    this.onError = opts.onError ?? ((err) => reportQlogError('write failed', err));
    this.onClose = hooks.onClose;
    this.lastFlushUs = opts.startTimeUs;
    this.buf = RECORD_SEPARATOR + JSON.stringify(qlogHeader(opts, opts.referenceTimeMs ?? Date.now())) + '\n';
    this.flush();
  }

  get enabled(): boolean {
    return this.on;
  }

  event(timeUs: number, name: string, data: Record<string, unknown>): void {
    if (!this.on) return;
    const time = Math.round(timeUs - this.startUs) / 1000;
    let json: string;
    try {
      json = JSON.stringify({ time, name, data });
    } catch (err) {
      json = stringifyLeniently(time, name, data, err);
    }
    this.buf += RECORD_SEPARATOR + json + '\n';
    if (this.buf.length >= this.limit || timeUs - this.lastFlushUs >= this.intervalUs) {
      this.lastFlushUs = timeUs;
      this.flush();
    }
  }

  flush(): void {
    if (!this.on || this.buf.length === 0) return;
    const chunk = this.buf;
    this.buf = '';
    try {
      this.sink(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.on = false;
    this.buf = '';
    this.finish();
  }

  private fail(err: unknown): void {
    this.on = false;
    this.buf = '';
    try {
      this.onError(err);
    } catch {
      // The error callback must not make the trace throw.
    }
    this.finish();
  }

  private finish(): void {
    if (this.finishCalled) return;
    this.finishCalled = true;
    if (this.onClose === undefined) return;
    try {
      this.onClose();
    } catch (err) {
      reportQlogError('close failed', err);
    }
  }
}

/** Second try for data JSON.stringify rejects (a bigint, a cycle): never throws. */
function stringifyLeniently(time: number, name: string, data: Record<string, unknown>, err: unknown): string {
  try {
    return JSON.stringify({ time, name, data }, (_key, value: unknown) => {
      if (typeof value === 'bigint') {
        return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
          ? Number(value) : value.toString();
      }
      if (value instanceof Uint8Array) return hex(value);
      return value;
    });
  } catch {
    const message = err instanceof Error ? err.message : String(err);
    return JSON.stringify({ time, name, data: { qlog_error: `unserializable event data: ${message}` } });
  }
}
