/**
 * `pquic client -V`: one line per packet sent and received, naming every frame (plugin frames
 * included, by the names their plugins give them), as PQUIC's client log does. Built on the
 * qlog trace interface: the connection already describes each packet there.
 */
import type { QlogTrace } from '../quic/qlog/writer.js';

export function consoleFrameLog(write: (line: string) => void): QlogTrace {
  return {
    enabled: true,
    event(timeUs, name, data) {
      if (name !== 'transport:packet_sent' && name !== 'transport:packet_received') return;
      const header = data.header as { packet_type?: string; packet_number?: number } | undefined;
      const frames = (data.frames as { frame_type?: string }[] | undefined) ?? [];
      const counts = new Map<string, number>();
      for (const f of frames) {
        const n = f.frame_type === 'unknown' ? `0x${Number((f as { raw_frame_type?: number }).raw_frame_type ?? 0).toString(16)}` : String(f.frame_type);
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
      const list = [...counts].map(([n, c]) => (c > 1 ? `${n} x${c}` : n)).join(', ');
      const dir = name === 'transport:packet_sent' ? 'send' : 'recv';
      write(`${(timeUs / 1000).toFixed(3).padStart(10)} ms ${dir} ${header?.packet_type ?? '?'} #${header?.packet_number ?? '?'}: ${list}`);
    },
    close() {},
  };
}
