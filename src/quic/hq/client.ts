/**
 * The HTTP/0.9 client application: fetches paths over one connection, each on its own
 * bidirectional stream (`GET /path\r\n` + FIN), as many at once as `concurrency` and the
 * server's MAX_STREAMS allow; when the limit is reached it waits for the server to grant more.
 */
import type { QuicSession } from '../endpoint/session.js';
import { describeTermination } from '../endpoint/session.js';
import type { QuicStream } from '../endpoint/stream.js';
import { HqError, hqErrorName } from './constants.js';
import { DiscardSink, type BodyReader, type BodySink } from './sinks.js';

/** Bytes read for sinks that take them through `write`; reused for every read. */
const SCRATCH = new Uint8Array(64 * 1024);

export interface HqRequest {
  /** The request path, percent-encoded as it goes on the wire (`/index.html`). */
  path: string;
  /** Where the body goes (default: counted and discarded). */
  sink?: BodySink;
}

export interface HqResult {
  path: string;
  ok: boolean;
  /** Body bytes received. */
  bytes: number;
  /** Why it failed, in one line. */
  error?: string;
  /** Set when the server reset the stream. */
  resetCode?: number;
  /** From opening the stream to FIN (or failure), ms. */
  durationMs: number;
}

export interface HqFetchOptions {
  /** Requests in flight at most (default: as many as the server allows). */
  concurrency?: number;
  /** Called with every piece of body received (for progress displays). */
  onBytes?: (n: number) => void;
}

const encoder = new TextEncoder();

/** Fetches every request; resolves when all have finished, successfully or not (never rejects). */
export function hqFetch(session: QuicSession, requests: HqRequest[], opts: HqFetchOptions = {}): Promise<HqResult[]> {
  const concurrency = Math.max(1, opts.concurrency ?? Infinity);
  const results: HqResult[] = new Array(requests.length);
  let next = 0;
  let active = 0;
  let finished = 0;
  let waitingForCredit = false;
  const inFlight = new Map<number, { stream: QuicStream; fail: (why: string) => void }>();

  return new Promise<HqResult[]>((resolveAll) => {
    if (requests.length === 0) {
      resolveAll(results);
      return;
    }

    const complete = (i: number, r: HqResult): void => {
      if (results[i]) return;
      results[i] = r;
      inFlight.delete(i);
      active--;
      finished++;
      if (finished === requests.length) resolveAll(results);
      else launch();
    };

    const failUnstarted = (why: string): void => {
      while (next < requests.length) {
        const i = next++;
        active++;
        requests[i]!.sink?.abort();
        complete(i, { path: requests[i]!.path, ok: false, bytes: 0, error: why, durationMs: 0 });
      }
    };

    const start = (i: number): void => {
      const req = requests[i]!;
      const sink = req.sink ?? new DiscardSink();
      const t0 = performance.now();
      let bytes = 0;
      let done = false;
      const end = (ok: boolean, error?: string, resetCode?: number): void => {
        if (done) return;
        done = true;
        if (ok) sink.end();
        else sink.abort();
        complete(i, {
          path: req.path, ok, bytes, durationMs: performance.now() - t0,
          ...(error !== undefined ? { error } : {}), ...(resetCode !== undefined ? { resetCode } : {}),
        });
      };
      let stream: QuicStream;
      try {
        stream = session.openStream(true);
      } catch (e) {
        end(false, `cannot open a stream: ${(e as Error).message}`);
        return;
      }
      inFlight.set(i, { stream, fail: (why) => end(false, why) });
      // Pull reads: the body goes from the connection into the sink's own buffer when it has
      // one (a file's), else through a shared scratch buffer: no allocation per packet.
      const read: BodyReader = (into, offset, length) => stream.read(into, offset, length);
      const take = (): number => {
        if (sink.fill) return sink.fill(read);
        const n = stream.read(SCRATCH);
        if (n > 0) sink.write(SCRATCH.subarray(0, n));
        return n;
      };
      stream.onReadable(() => {
        while (!done) {
          let n: number;
          try {
            n = take();
          } catch (e) {
            stream.stopSending(HqError.REQUEST_CANCELLED);
            end(false, `cannot store the body: ${(e as Error).message}`);
            return;
          }
          if (n === 0) return;
          if (n < 0) {
            // The end: the FIN (a reset is reported by onReset, which runs first).
            if (stream.resetReceived === undefined) end(true);
            return;
          }
          bytes += n;
          opts.onBytes?.(n);
        }
      });
      stream.onReset((code) => end(false, `the server reset the stream with ${hqErrorName(code)}`, code));
      stream.write(encoder.encode(`GET ${req.path}\r\n`), true);
    };

    const launch = (): void => {
      while (next < requests.length && active < concurrency) {
        if (session.terminated) {
          failUnstarted(describeTermination(session.terminated));
          return;
        }
        if (!session.canOpenStream(true)) {
          if (!waitingForCredit) {
            waitingForCredit = true;
            void session.waitForStreamCredit(true).then((ok) => {
              waitingForCredit = false;
              if (ok) launch();
              else if (session.terminated) failUnstarted(describeTermination(session.terminated));
            });
          }
          return;
        }
        const i = next++;
        active++;
        start(i);
      }
    };

    void session.closed.then((e) => {
      const why = describeTermination(e);
      for (const f of [...inFlight.values()]) f.fail(`connection ended before the response did: ${why}`);
      failUnstarted(why);
    });

    launch();
  });
}
