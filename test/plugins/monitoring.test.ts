import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { collectStream, handshake, lossyLink, makePair, runUntil } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import type { QlogTrace } from '../../src/quic/qlog/writer.js';

const manifest = fileURLToPath(new URL('../../plugins-c/monitoring/monitoring.plugin', import.meta.url));
const KEYS = ['packets_sent', 'bytes_sent', 'packets_received', 'bytes_received', 'packets_lost', 'rtt_samples', 'latest_rtt', 'min_rtt', 'streams_opened', 'streams_closed'];

describe('monitoring plugin', () => {
  it('counts what the connection counts, hands it to the application and writes it to qlog', () => {
    const events: { name: string; data: Record<string, unknown> }[] = [];
    const qlog: QlogTrace = { enabled: true, event: (_t, name, data) => void events.push({ name, data }), close: () => undefined };
    const p = makePair({ clientQlog: qlog });
    const messages: { plugin: string; cnx: unknown; data: Uint8Array }[] = [];
    const [mon] = PluginRuntime.load([manifest], { onMessage: (i, cnx, data) => void messages.push({ plugin: i.plugin.name, cnx, data }) }).inject(p.client);
    const link = lossyLink(11, { drop: 0.05 });
    handshake(p, link);
    for (let k = 0; k < 3; k++) {
      const id = p.client.createStream();
      p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
      runUntil(p, () => collectStream(p.serverEvents, id).fin, { link });
      p.server!.sendStreamData(id, new Uint8Array(150_000), true);
      expect(runUntil(p, () => collectStream(p.clientEvents, id).fin, { link, maxSteps: 10000 })).toBe(true);
    }
    runUntil(p, () => false, { link, maxSteps: 30 });
    const stat = (name: string) => Number(mon!.runExternal('get_monitoring_stat', KEYS.indexOf(name)));
    const st = p.client.stats;
    expect(mon!.failure).toBeUndefined();
    expect(stat('packets_sent')).toBe(st.packetsSent);
    expect(stat('bytes_sent')).toBe(st.bytesSent);
    expect(stat('packets_received')).toBe(st.packetsReceived);
    expect(stat('packets_lost')).toBe(st.packetsLost);
    expect(stat('packets_lost')).toBeGreaterThan(0);
    expect(stat('latest_rtt')).toBe(Math.round(p.client.loss.rtt.latestRtt));
    expect(stat('min_rtt')).toBe(Math.round(p.client.loss.rtt.minRtt));
    expect(stat('streams_opened')).toBe(3);
    expect(stat('streams_closed')).toBe(3);
    expect(stat('nope' as string)).toBe(0);
    // At the end of the connection the counters go into qlog.
    p.client.close(0, 'done', true, p.now);
    runUntil(p, () => p.client.state === 'closed', { maxSteps: 100 });
    const ev = events.find((e) => e.name === 'pquic:monitoring');
    expect(ev?.data).toMatchObject({ plugin: 'be.mpiraux.monitoring', streams_opened: 3, packets_lost: st.packetsLost });
    // ... and to the application as one message: the counters as little-endian u64s.
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ plugin: 'be.mpiraux.monitoring', cnx: p.client });
    const dv = new DataView(messages[0]!.data.buffer);
    expect(messages[0]!.data.length).toBe(KEYS.length * 8);
    KEYS.forEach((k, i) => expect(Number(dv.getBigUint64(i * 8, true))).toBe(Number(ev!.data[k])));
    expect(mon!.takeMessages()).toHaveLength(1);
    expect(mon!.takeMessages()).toHaveLength(0);
  });
});
