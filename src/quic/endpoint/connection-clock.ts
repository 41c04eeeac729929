/**
 * A connection's own time base. The endpoint clock (clock.ts) counts microseconds from process
 * start, so after 2^31 µs (35.8 minutes) its readings no longer fit V8's small integers (Smis,
 * 31 bits on x64) and every time the core derives from them (deadlines, RTT samples, ACK Delay
 * arithmetic, send times) would be a HeapNumber: about 100 B more per packet. The sans-IO
 * connection accepts any time origin, so the session hands it times counted from the
 * connection's creation instead, and turns the connection's next timer back into endpoint time.
 * Only a connection older than 35.8 minutes sees boxed times again (still correct, just not
 * allocation-free).
 */
import { CLOCK_OFFSET_US } from './clock.js';

/**
 * What a connection's clock reads when the connection is created: the same one second the
 * endpoint clock starts at, so "time 0" never occurs inside the core (and plugins asking for
 * the current time see a positive value, as with PQUIC's `picoquic_current_time`).
 */
export const CONNECTION_EPOCH_US = CLOCK_OFFSET_US;

export class ConnectionClock {
  /** Endpoint time minus connection time (µs). */
  readonly offsetUs: number;

  /** `createdUs`: the endpoint time at which the connection is created. */
  constructor(createdUs: number) {
    this.offsetUs = createdUs - CONNECTION_EPOCH_US;
  }

  /** Endpoint time to connection time. */
  local(endpointUs: number): number {
    return endpointUs - this.offsetUs;
  }

  /** Connection time (a timer the connection returned) to endpoint time. */
  endpoint(localUs: number): number {
    return localUs + this.offsetUs;
  }
}
