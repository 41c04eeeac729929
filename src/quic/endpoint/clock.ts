/**
 * The endpoint's clock. The sans-IO connection takes absolute times in microseconds and never
 * reads a clock itself; the endpoint reads this monotonic one (`performance.now()`) and adds a
 * fixed offset so that times are positive and comfortably above 0 from the first packet on.
 */

/** Added to every reading: one second, so "time 0" never occurs. */
export const CLOCK_OFFSET_US = 1_000_000;

/** Monotonic time in whole microseconds. */
export function nowUs(): number {
  return Math.floor(performance.now() * 1000) + CLOCK_OFFSET_US;
}

/** Milliseconds to wait (for setTimeout) until `deadlineUs`, rounded up, never negative. */
export function delayMs(deadlineUs: number, nowMicros: number): number {
  const d = deadlineUs - nowMicros;
  return d <= 0 ? 0 : Math.ceil(d / 1000);
}
