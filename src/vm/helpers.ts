/**
 * The standard helpers every VM can offer, with PQUIC's names and indices (reference/pquic.md §4.2)
 * but memory-safe: every pointer must lie inside the program's own memory with its length.
 * The connection API (get_cnx, reserve_frames, ...) belongs to the plugin runtime, not here.
 */
import type { HelperCall, Vm } from './vm.js';
import { HelperFault } from './errors.js';

export const HELPER_CURRENT_TIME = 31; // picoquic_current_time
export const HELPER_MEMCPY = 35; // my_memcpy
export const HELPER_MEMSET = 36; // my_memset
export const HELPER_STRLEN = 51; // strlen
export const HELPER_MEMCMP = 78; // memcmp
/** Our logging helper (not in PQUIC, whose plugins printed with libc's printf). */
export const HELPER_LOG = 200; // pquic_log

/** Name → id of the standard helpers, for listings of objects that call them by name. */
export const STANDARD_HELPER_IDS: ReadonlyMap<string, number> = new Map([
  ['picoquic_current_time', HELPER_CURRENT_TIME],
  ['my_memcpy', HELPER_MEMCPY],
  ['my_memset', HELPER_MEMSET],
  ['strlen', HELPER_STRLEN],
  ['memcmp', HELPER_MEMCMP],
  ['pquic_log', HELPER_LOG],
]);

export interface StandardHelperOptions {
  /** Where pquic_log lines go (default: stdout). */
  log?: (line: string) => void;
  /** Clock for picoquic_current_time, in microseconds (default: process.hrtime). */
  now?: () => bigint;
}

function defaultNow(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/**
 * What a helper charges the program's fuel for touching n bytes: about what an eBPF loop doing
 * the same work 8 bytes at a time would spend, so the budget bounds host time too.
 */
export function byteCost(n: number): number {
  return Math.ceil(n / 8);
}

export function registerStandardHelpers(vm: Vm, opts: StandardHelperOptions = {}): void {
  const log = opts.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = opts.now ?? defaultNow;
  vm.registerHelper(HELPER_CURRENT_TIME, 'picoquic_current_time', () => now());
  vm.registerHelper(HELPER_MEMCPY, 'my_memcpy', (c) => {
    const n = c.num(3);
    const src = c.bytes(c.num(2), n);
    const dst = c.bytes(c.num(1), n, true);
    c.charge(byteCost(n));
    dst.set(src); // TypedArray.set copies as memmove does
    return c.u64(1);
  });
  vm.registerHelper(HELPER_MEMSET, 'my_memset', (c) => {
    const dst = c.bytes(c.num(1), c.num(3), true);
    c.charge(byteCost(dst.length));
    dst.fill(c.u32(2) & 0xff);
    return c.u64(1);
  });
  vm.registerHelper(HELPER_STRLEN, 'strlen', (c) => {
    const n = new TextEncoder().encode(c.cstring(c.num(1), 1 << 20)).length;
    c.charge(byteCost(n));
    return n;
  });
  vm.registerHelper(HELPER_MEMCMP, 'memcmp', memcmpHelper);
  vm.registerHelper(HELPER_LOG, 'pquic_log', (c) => {
    const line = formatLog(c);
    c.charge(byteCost(line.length));
    log(line);
    return line.length;
  });
}

/**
 * printf-like formatting of pquic_log(fmt, a, b, c, d): %d %i %u %x %X %c %s %p %% with optional
 * l / ll / z length modifiers (all values are 64-bit registers anyway) and a field width.
 */
export function formatLog(c: HelperCall): string {
  const fmt = c.cstring(c.num(1), 1024);
  let arg = 2;
  const next = (): bigint => {
    if (arg > 5) throw new HelperFault('pquic_log: more than 4 values requested by the format');
    return c.u64(arg++);
  };
  return fmt.replace(/%(-?)(0?)(\d*)(?:ll|l|z|h|hh)?([diuxXcsp%])/g, (_m, left: string, zero: string, width: string, conv: string) => {
    let s: string;
    switch (conv) {
      case '%': return '%';
      case 'd':
      case 'i': s = BigInt.asIntN(64, next()).toString(); break;
      case 'u': s = next().toString(); break;
      case 'x': s = next().toString(16); break;
      case 'X': s = next().toString(16).toUpperCase(); break;
      case 'p': s = '0x' + next().toString(16); break;
      case 'c': s = String.fromCharCode(Number(next() & 0xffn)); break;
      case 's': s = c.cstring(next(), 4096); break;
      default: s = '';
    }
    const w = width ? Number(width) : 0;
    if (s.length < w) s = left ? s.padEnd(w) : s.padStart(w, zero && conv !== 's' ? '0' : ' ');
    return s;
  });
}

/**
 * memcmp(a, b, n): -1, 0 or 1 as C's sign convention, both ranges checked and the bytes billed to
 * the caller's fuel. Shared by the standard helper and the plugin API's my_memcmp.
 */
export function memcmpHelper(c: HelperCall): number {
  const n = c.num(3);
  const a = c.bytes(c.num(1), n);
  const b = c.bytes(c.num(2), n);
  c.charge(byteCost(n));
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}
