/** Files and small helpers shared by the interop suites. */

export const MUX_COUNT = 300;

export const STANDARD_FILES: Record<string, number> = {
  '1k.bin': 1024,
  '10k.bin': 10 * 1024,
  '1m.bin': 1 << 20,
  '2m.bin': 2 << 20,
  '3m.bin': 3 << 20,
  '5m.bin': 5 << 20,
  '50m.bin': 50 << 20,
};

/** The interop-runner's transfer test: 2, 3 and 5 MB concurrently on one connection. */
export const RUNNER_TRANSFER = ['2m.bin', '3m.bin', '5m.bin'];

/** A version nobody speaks (the interop-runner's and quic-go's choice). */
export const UNKNOWN_VERSION = 0x1a2a3a4a;

let ipv6: boolean | undefined;

/** Whether UDP can bind ::1 here (IPv6 may be off in some containers). */
export async function ipv6Loopback(): Promise<boolean> {
  if (ipv6 !== undefined) return ipv6;
  const dgram = await import('node:dgram');
  ipv6 = await new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp6');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(0, '::1', () => s.close(() => resolve(true)));
  });
  return ipv6;
}

export function url(host: string, port: number, name: string): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}/${name}`;
}

export const MUX_FILES: Record<string, number> = Object.fromEntries(
  Array.from({ length: MUX_COUNT }, (_, i) => [`mux-${String(i).padStart(3, '0')}.bin`, 32]),
);

export function subset(sums: Map<string, string>, names: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of names) {
    const s = sums.get(n);
    if (s === undefined) throw new Error(`no such test file: ${n}`);
    m.set(n, s);
  }
  return m;
}

/** The `pquic client` options that make it offer only TLS_CHACHA20_POLY1305_SHA256. */
export async function cliCipherArgs(_cli: string): Promise<string[]> {
  return ['--ciphers', 'chacha20'];
}
