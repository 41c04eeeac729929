/**
 * The plugin runtime: plugins loaded once, injected into every new connection. It attaches to a
 * connection through the connection's protoop table only (the QUIC core knows nothing of
 * plugins); the endpoint calls `inject` from its connection-created hook, wired by the CLI.
 */
import type { QuicConnection } from '../quic/connection/connection.js';
import { PluginInstance, type PlugletStats } from './instance.js';
import { Plugin, type PluginOptions } from './plugin.js';

export interface RuntimeStats {
  plugin: string;
  connections: number;
  failures: number;
  /** Mean cost of instantiating the plugin for a new connection, µs. */
  meanInjectUs: number;
  pluglets: PlugletStats[];
}

export interface RuntimeOptions {
  log?: (line: string) => void;
  /** A plugin on connection `cnx` sent the application a message (pquic_message_send). */
  onMessage?: (instance: PluginInstance, cnx: QuicConnection, data: Uint8Array) => void;
}

export class PluginRuntime {
  readonly plugins: Plugin[];
  private readonly totals = new Map<string, RuntimeStats>();
  private readonly log: ((line: string) => void) | undefined;
  private readonly onMessage: RuntimeOptions['onMessage'];

  constructor(plugins: Plugin[], opts: RuntimeOptions = {}) {
    this.plugins = plugins;
    this.log = opts.log;
    this.onMessage = opts.onMessage;
    for (const p of plugins) {
      this.totals.set(p.name, {
        plugin: p.name, connections: 0, failures: 0, meanInjectUs: 0,
        pluglets: p.pluglets.map((x) => ({ protoop: x.entry.protoop, param: x.entry.param, anchor: x.entry.anchor, calls: 0, totalNs: 0 })),
      });
    }
  }

  static load(manifests: string[], opts: PluginOptions & RuntimeOptions = {}): PluginRuntime {
    return new PluginRuntime(manifests.map((m) => Plugin.load(m, opts)), opts);
  }

  /**
   * Instantiates every plugin on a new connection. A plugin whose insertion fails leaves nothing
   * behind, and the error is thrown (the caller refuses the connection).
   */
  inject(cnx: QuicConnection): PluginInstance[] {
    const instances: PluginInstance[] = [];
    for (const plugin of this.plugins) {
      const t0 = process.hrtime.bigint();
      const inst = new PluginInstance(plugin, cnx, {
        onFailure: (i, e) => {
          this.totals.get(i.plugin.name)!.failures++;
          this.log?.(e.message);
        },
        ...(this.log ? { log: this.log } : {}),
        ...(this.onMessage ? { onMessage: (i: PluginInstance, data: Uint8Array) => this.onMessage!(i, cnx, data) } : {}),
      });
      try {
        inst.attach();
      } catch (e) {
        for (const i of instances) i.detach();
        throw e;
      }
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      const t = this.totals.get(plugin.name)!;
      t.meanInjectUs = (t.meanInjectUs * t.connections + us) / (t.connections + 1);
      t.connections++;
      instances.push(inst);
      if (cnx.qlog.enabled) cnx.qlog.event(cnx.nowUs, 'pquic:plugin_inserted', { plugin: plugin.name, pluglets: plugin.pluglets.length, inject_us: us });
    }
    // Fold per-connection pluglet statistics into the totals when the connection ends.
    const fold = (): void => {
      for (const inst of instances) {
        const t = this.totals.get(inst.plugin.name)!;
        inst.stats.forEach((s, k) => {
          t.pluglets[k]!.calls += s.calls;
          t.pluglets[k]!.totalNs += s.totalNs;
          s.calls = 0;
          s.totalNs = 0;
        });
      }
    };
    cnx.protoops.attach('connection_state_changed', 0xffff, 'post', {
      owner: 'pquic-runtime',
      fn: (c) => {
        if (c.args[1] === 'closed') fold();
      },
    });
    this.folders.push(fold);
    return instances;
  }

  private readonly folders: (() => void)[] = [];

  /** Statistics per plugin and pluglet (calls and time), for `-S FILE`. */
  stats(): RuntimeStats[] {
    for (const f of this.folders.splice(0)) f();
    return [...this.totals.values()];
  }
}
