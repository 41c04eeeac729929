/**
 * The per-connection protoop table (PQUIC's model, reference/pquic.md §2): every protocol
 * operation is a named entry, optionally with a parameter (frame type, transport parameter id),
 * holding a core implementation and the hooks plugins attach: one exclusive `replace`, and `pre`
 * / `post` observers run newest first (PQUIC inserts observers at the head of the list).
 *
 * Cost when nothing is attached: call sites invoke `slots.<name>` (non-parametrable ops) or the
 * function returned by `param(name, p)`; both are the core function itself, so the table adds one
 * property load. Attaching a hook swaps that slot for a dispatcher; detaching swaps it back.
 *
 * The table knows nothing of eBPF or plugins: hooks are plain functions. The plugin runtime wraps
 * its pluglets into hooks and decides what a failing pluglet means.
 */
import { NO_PARAM } from './names.js';

// Protoop implementations take and return arbitrary values: their signatures are given by the
// table's type parameter at the call sites.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFn = (...args: any[]) => any;

export type Anchor = 'replace' | 'pre' | 'post';

/** What a hook sees of one protoop invocation. */
export interface ProtoopCall {
  readonly name: string;
  readonly param: number;
  readonly args: readonly unknown[];
  /** The value the replace/core returned; meaningful to post observers. */
  result: unknown;
}

export interface Hook {
  /** Who attached it (a plugin name), for error reports and detaching. */
  readonly owner: string;
  /** For `replace`, its return value is the operation's; observers' return values are ignored. */
  readonly fn: (call: ProtoopCall) => unknown;
}

export class ProtoopError extends Error {
  readonly protoop: string;
  readonly param: number;
  constructor(message: string, protoop: string, param: number) {
    super(message);
    this.name = 'ProtoopError';
    this.protoop = protoop;
    this.param = param;
  }
}

/** One (name, param) entry. */
export class ProtoopEntry {
  readonly name: string;
  readonly param: number;
  core: AnyFn | undefined;
  replace: Hook | undefined;
  /** Newest first. */
  pre: Hook[] = [];
  /** Newest first. */
  post: Hook[] = [];
  /** Extern operations (PQUIC's `extern` anchor) are callable by the application only. */
  external = false;
  /** For a param entry without a core of its own: the NO_PARAM entry's callable (§2.1). */
  fallback: (() => AnyFn | undefined) | undefined;
  running = false;
  /** What callers invoke: the core itself, or a dispatcher once hooks are attached. */
  call: AnyFn;

  constructor(name: string, param: number, core: AnyFn | undefined) {
    this.name = name;
    this.param = param;
    this.core = core;
    this.call = core ?? this.missing;
  }

  get hooked(): boolean {
    return this.replace !== undefined || this.pre.length > 0 || this.post.length > 0;
  }

  private readonly missing = (): never => {
    throw new ProtoopError(`protoop ${label(this.name, this.param)} has no implementation`, this.name, this.param);
  };

  /** Rebuilds `call` after a change of hooks. */
  refresh(): void {
    if (!this.hooked) {
      this.call = this.core ?? this.missing;
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const entry = this;
    this.call = function dispatch(...args: unknown[]): unknown {
      if (entry.running) {
        // PQUIC exits the process here; we fail only the operation (§2.3 step 6).
        throw new ProtoopError(`protoop ${label(entry.name, entry.param)} re-entered while running`, entry.name, entry.param);
      }
      entry.running = true;
      const call: ProtoopCall = { name: entry.name, param: entry.param, args, result: undefined };
      try {
        for (const h of entry.pre) h.fn(call);
        const core = entry.core ?? entry.fallback?.();
        if (entry.replace) call.result = entry.replace.fn(call);
        else if (core) call.result = core(...args);
        else entry.missing();
        for (const h of entry.post) h.fn(call);
        return call.result;
      } finally {
        entry.running = false;
      }
    };
  }
}

function label(name: string, param: number): string {
  return param === NO_PARAM ? name : `${name}[0x${param.toString(16)}]`;
}

/**
 * Fast resolution of a parametrable operation at a call site that runs per frame: params below
 * 256 (every RFC 9000 frame type and most extension ones) are resolved through a dense array.
 */
export class ParamOp {
  private readonly dense: (AnyFn | undefined)[] = new Array(256).fill(undefined);
  /** Entries changed since the dense array was built: rebuild on the next lookup, not per change. */
  private stale = true;
  constructor(private readonly table: ProtoopTable<object>, readonly name: string) {}

  /** The callable for `param` (with NO_PARAM fallback), or undefined when neither exists. */
  fn(param: number): AnyFn | undefined {
    if (param >= 0 && param < 256) {
      if (this.stale) this.build();
      return this.dense[param];
    }
    return this.table.param(this.name, param);
  }

  /** Called by the table whenever an entry of this operation changes. */
  rebuild(): void {
    this.stale = true;
  }

  private build(): void {
    for (let p = 0; p < 256; p++) this.dense[p] = this.table.param(this.name, p);
    this.stale = false;
  }
}

/**
 * `S` types the non-parametrable slots: `table.slots.update_rtt(...)`.
 */
export class ProtoopTable<S extends object = Record<string, AnyFn>> {
  private readonly entries = new Map<string, Map<number, ProtoopEntry>>();
  /** Fast call sites for non-parametrable operations. */
  readonly slots: S = {} as S;
  private readonly paramOps = new Map<string, ParamOp>();

  /** A fast resolver for a parametrable operation; it stays current as hooks come and go. */
  paramOp(name: string): ParamOp {
    let op = this.paramOps.get(name);
    if (!op) {
      op = new ParamOp(this as ProtoopTable<object>, name);
      this.paramOps.set(name, op);
    }
    return op;
  }

  /** Registers a core implementation (PQUIC's `register_noparam_protoop` / `register_param_protoop`). */
  define(name: string, core: AnyFn, param: number = NO_PARAM): ProtoopEntry {
    const e = this.getOrCreate(name, param);
    if (e.core) throw new ProtoopError(`protoop ${label(name, param)} is already defined`, name, param);
    e.core = core;
    e.refresh();
    this.sync(e);
    return e;
  }

  /** The entry for (name, param), falling back to the NO_PARAM entry (§2.1); undefined if neither exists. */
  entry(name: string, param: number = NO_PARAM): ProtoopEntry | undefined {
    const byParam = this.entries.get(name);
    if (!byParam) return undefined;
    const e = byParam.get(param);
    // An entry left without core or hooks (everything detached) defers to the default.
    if (e && (e.core || e.hooked || param === NO_PARAM)) return e;
    return param !== NO_PARAM ? byParam.get(NO_PARAM) : undefined;
  }

  /** The exact entry, without fallback. */
  exactEntry(name: string, param: number = NO_PARAM): ProtoopEntry | undefined {
    return this.entries.get(name)?.get(param);
  }

  has(name: string, param: number = NO_PARAM): boolean {
    const e = this.entry(name, param);
    return e !== undefined && (e.core !== undefined || e.replace !== undefined);
  }

  /** The callable for a parametrable operation (with NO_PARAM fallback), or undefined. */
  param(name: string, param: number): AnyFn | undefined {
    return this.entry(name, param)?.call;
  }

  /** Generic invocation by name (internal callers: the core and plugins). */
  run(name: string, param: number, ...args: unknown[]): unknown {
    const e = this.entry(name, param);
    if (!e) throw new ProtoopError(`unknown protoop ${label(name, param)}`, name, param);
    if (e.external) throw new ProtoopError(`protoop ${label(name, param)} is extern: only the application may call it`, name, param);
    return e.call(...args);
  }

  /** Invocation by the application of an extern operation (§2.2). */
  runExternal(name: string, param: number, ...args: unknown[]): unknown {
    const e = this.entry(name, param);
    if (!e || !e.external) throw new ProtoopError(`no extern protoop ${label(name, param)}`, name, param);
    return e.call(...args);
  }

  /**
   * Attaches a hook and returns the function that detaches it. `replace` is exclusive; an
   * operation that does not exist yet is created (plugins may define new operations). `extern`
   * creates an application-only operation, which refuses observers and needs no core.
   */
  attach(name: string, param: number, anchor: Anchor | 'extern', hook: Hook): () => void {
    const e = this.getOrCreate(name, param);
    switch (anchor) {
      case 'replace':
      case 'extern':
        if (e.replace) {
          throw new ProtoopError(`protoop ${label(name, param)} is already replaced by ${e.replace.owner}`, name, param);
        }
        if (anchor === 'extern') {
          if (e.core || e.pre.length > 0 || e.post.length > 0) {
            throw new ProtoopError(`protoop ${label(name, param)} exists in the core or is observed: it cannot be extern`, name, param);
          }
          e.external = true;
        }
        e.replace = hook;
        break;
      case 'pre':
      case 'post':
        if (e.external) throw new ProtoopError(`extern protoop ${label(name, param)} cannot be observed`, name, param);
        (anchor === 'pre' ? e.pre : e.post).unshift(hook);
        break;
    }
    e.refresh();
    this.sync(e);
    return () => this.detach(e, hook);
  }

  /** Detaches every hook of an owner (a plugin removed from the connection). */
  detachOwner(owner: string): void {
    for (const byParam of this.entries.values()) {
      for (const e of byParam.values()) {
        let changed = false;
        if (e.replace?.owner === owner) {
          e.replace = undefined;
          if (e.external) e.external = false;
          changed = true;
        }
        const pre = e.pre.filter((h) => h.owner !== owner);
        const post = e.post.filter((h) => h.owner !== owner);
        if (pre.length !== e.pre.length || post.length !== e.post.length) changed = true;
        e.pre = pre;
        e.post = post;
        if (changed) {
          e.refresh();
          this.sync(e);
        }
      }
    }
  }

  /** Every (name, param) defined or hooked, for listings and statistics. */
  list(): ProtoopEntry[] {
    return [...this.entries.values()].flatMap((m) => [...m.values()]);
  }

  private detach(e: ProtoopEntry, hook: Hook): void {
    if (e.replace === hook) {
      e.replace = undefined;
      e.external = false;
    }
    e.pre = e.pre.filter((h) => h !== hook);
    e.post = e.post.filter((h) => h !== hook);
    e.refresh();
    this.sync(e);
  }

  private getOrCreate(name: string, param: number): ProtoopEntry {
    let byParam = this.entries.get(name);
    if (!byParam) {
      byParam = new Map();
      this.entries.set(name, byParam);
    }
    let e = byParam.get(param);
    if (!e) {
      e = new ProtoopEntry(name, param, undefined);
      if (param !== NO_PARAM) e.fallback = () => byParam!.get(NO_PARAM)?.call;
      byParam.set(param, e);
    }
    return e;
  }

  private sync(e: ProtoopEntry): void {
    if (e.param === NO_PARAM) (this.slots as Record<string, AnyFn>)[e.name] = e.call;
    this.paramOps.get(e.name)?.rebuild();
  }
}
