/**
 * A plugin on one connection: its own VM memory (code copied from the plugin's linked image,
 * data sections, stack, heap), its metadata slots, and the hooks it attached to the
 * connection's protoop table.
 *
 * Calling convention of a pluglet (PQUIC's): r1 = the connection handle; the protoop's inputs
 * are read with get_cnx(cnx, AK_CNX_INPUT, i), outputs written with set_cnx(cnx, AK_CNX_OUTPUT,
 * i, v), a post observer reads the result with get_cnx(cnx, AK_CNX_RETURN_VALUE, 0), and r0 is
 * the return value of a replace.
 *
 * Failure isolation: a pluglet that faults, exhausts its fuel, misuses a helper or re-enters a
 * running operation disables its plugin on this connection (every hook detached). Then either
 * the connection is closed with a clear error, or, for an `optional` plugin, the operation
 * falls back to the core and the connection goes on. Nothing escapes to the process.
 */
import type { QuicConnection } from '../quic/connection/connection.js';
import { ProtoopError, type ProtoopCall } from '../quic/protoop/table.js';
import { QuicError, TransportErrorCode } from '../quic/wire/errors.js';
import type { Reader, Writer } from '../quic/wire/buffer.js';
import { HelperFault, VmError } from '../vm/errors.js';
import type { HelperCall } from '../vm/vm.js';
import { Vm } from '../vm/vm.js';
import {
  AK_CNX_CLIENT_MODE, AK_CNX_DATA_RECEIVED, AK_CNX_DATA_SENT, AK_CNX_HANDSHAKE_DONE, AK_CNX_INPUT, AK_CNX_MAXDATA_LOCAL,
  AK_CNX_NB_PATHS, AK_CNX_NB_RETRANSMISSION_TOTAL, AK_CNX_OUTPUT, AK_CNX_PACKETS_RECEIVED, AK_CNX_PACKETS_SENT, AK_CNX_PATH,
  AK_CNX_RETURN_VALUE, AK_CNX_START_TIME, AK_CNX_STATE, AK_PATH_BYTES_IN_TRANSIT, AK_PATH_CWIN, AK_PATH_MAX_ACK_DELAY,
  AK_PATH_NB_PKT_SENT, AK_PATH_PKT_CTX, AK_PATH_RTT_MIN, AK_PKTCTX_ACK_DEADLINE, AK_PKTCTX_ACK_ELICITING_SINCE_ACK,
  AK_PKTCTX_HIGHEST_ACKNOWLEDGED, AK_PKTCTX_LARGEST_RECEIVED, AK_PKTCTX_SEND_SEQUENCE, AK_PKTCTX_TIME_STAMP_LARGEST_RECEIVED,
  HANDLE_PKT_CTX, AK_PATH_RTT_SAMPLE, AK_PATH_RTT_VARIANT, AK_PATH_SEND_MTU, AK_PATH_SMOOTHED_RTT,
  CNX_HANDLE, HANDLE_OBJECT, HELPER_IDS, METADATA_SLOTS, PATH0_HANDLE, handleIndex, handleTag, makeHandle,
  AK_CNX_FIRST_STREAM, AK_CNX_INITIAL_CID, AK_PATH_LOCAL_CID, AK_PATH_REMOTE_CID, AK_PKTCTX_FIRST_SACK_ITEM,
  HANDLE_SACK, HANDLE_STREAM,
} from './abi.js';
import { getCnxid, getPh, getPkt, getSackItem, getStreamHead, KIND_NAMES, sackHandle, streamHandle, type HostObject } from './core-objects.js';
import type { SentPacket } from '../quic/recovery/sent-packets.js';
import type { PacketHeader } from '../quic/wire/header.js';
import { PluginHeap, HeapError } from './heap.js';
import type { Plugin, Pluglet } from './plugin.js';
import { externContract, inputContract, returnKind } from './signatures.js';
import { externInputs } from './extern-inputs.js';
import { writesFrame } from './verify-plugin.js';
import { byteCost, memcmpHelper, registerStandardHelpers } from '../vm/helpers.js';

type U64 = number | bigint;

/** A frame a plugin parsed: the connection hands it back to process_frame. */
export interface PluginFrame {
  type: 'plugin';
  frameType: number;
  /** The plugin's frame structure, in its own memory. */
  ptr: number;
  owner: string;
  ackEliciting: boolean;
}

/** One pluglet invocation in progress (invocations nest through protoop calls). */
interface Frame {
  inputs: U64[];
  outputs: U64[];
  returnValue: U64;
}

export interface PlugletStats {
  protoop: string;
  param: number;
  anchor: string;
  calls: number;
  totalNs: number;
}

export interface InstanceEvents {
  /** The plugin failed on this connection and was removed. */
  onFailure?(instance: PluginInstance, error: Error): void;
  log?(line: string): void;
  /** The plugin sent the application a message (pquic_message_send). */
  onMessage?(instance: PluginInstance, data: Uint8Array): void;
}

/** Messages a plugin may leave waiting for the application, and the largest one. */
export const MESSAGE_QUEUE_MAX = 256;
export const MESSAGE_MAX_BYTES = 65536;

const STATE_NUMBERS: Record<string, number> = { attempted: 0, handshake: 1, connected: 2, closing: 3, draining: 4, closed: 5 };

/** The packet number space behind a pkt_ctx handle; fails the helper for anything else. */
function pktCtxSpace(h: number, helper: string): 0 | 1 | 2 {
  const space = handleIndex(h);
  if (handleTag(h) !== HANDLE_PKT_CTX || space > 2) throw new HelperFault(`${helper}: not a packet context handle: 0x${h.toString(16)}`);
  return space as 0 | 1 | 2;
}

/**
 * Fuel a helper that runs core work charges (plugin_run_protoop, recover_packet), beyond the
 * bytes it touches: the core's work is not counted in eBPF instructions otherwise.
 */
const PROTOOP_CALL_COST = 256;

/** Object handles one outermost protoop call may create. */
const MAX_HANDLES_PER_CALL = 65536;

/** A frame_ctx as reserve_frames keeps it: the value, and the instance that reserved it. */
class ReservedContext {
  constructor(readonly owner: PluginInstance, readonly value: U64) {}
}

export class PluginInstance {
  readonly plugin: Plugin;
  readonly cnx: QuicConnection;
  readonly vm: Vm;
  readonly heap: PluginHeap;
  readonly stats: PlugletStats[];
  /** Set once the plugin failed (and was removed). */
  failure: Error | undefined;
  private readonly cnxMeta: U64[] = new Array(METADATA_SLOTS).fill(0);
  private readonly pathMeta: U64[] = new Array(METADATA_SLOTS).fill(0);
  private readonly pktCtxMeta: U64[][] = [0, 1, 2].map(() => new Array<U64>(METADATA_SLOTS).fill(0));
  /** Per sent packet slots, dropped with the packet record. */
  private readonly frames: Frame[] = [];
  private readonly objects: HostObject[] = [];
  private readonly events: InstanceEvents;
  private detachers: (() => void)[] = [];

  constructor(plugin: Plugin, cnx: QuicConnection, events: InstanceEvents = {}) {
    this.plugin = plugin;
    this.cnx = cnx;
    this.events = events;
    this.vm = new Vm({ heapSize: plugin.heapSize, engine: plugin.engine });
    this.registerHelpers();
    this.vm.loadLinked(plugin.linked, plugin.engine === 'jit' && plugin.jitProofs ? { proofs: plugin.jitProofs } : {});
    const heap = this.vm.layout.heap!;
    // Blocks are zeroed when handed out: the verifier's heap-cell summary counts on a field
    // nothing wrote reading 0 (src/plugins/heap.ts).
    this.heap = new PluginHeap(heap.start, heap.size, (addr, n) => new Uint8Array(this.vm.memory.buffer, addr, n).fill(0));
    this.stats = plugin.pluglets.map((p) => ({ protoop: p.entry.protoop, param: p.entry.param, anchor: p.entry.anchor, calls: 0, totalNs: 0 }));
  }

  /** Attaches every pluglet; all or nothing (a failure detaches what was attached). */
  attach(): void {
    this.attachPluglets(false);
  }

  /**
   * PQUIC's `negotiate` option: the pluglets after the manifest's `-` marker join once one of
   * this plugin's process_transport_parameter pluglets returned non-zero (the peer has it too).
   */
  get negotiated(): boolean {
    return this.isNegotiated;
  }

  private isNegotiated = false;

  private attachPluglets(afterNegotiation: boolean): void {
    const table = this.cnx.protoops;
    const before = this.detachers.length;
    try {
      this.plugin.pluglets.forEach((p, i) => {
        if (p.entry.afterNegotiation !== afterNegotiation) return;
        this.detachers.push(table.attach(p.entry.protoop, p.entry.param, p.entry.anchor, {
          owner: this.plugin.name,
          fn: (call) => this.run(p, i, call),
        }));
      });
    } catch (e) {
      // All or nothing: undo this batch (and, at insertion, everything).
      for (const d of this.detachers.splice(afterNegotiation ? before : 0)) d();
      if (e instanceof ProtoopError) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `plugin ${this.plugin.name}: ${e.message}`);
      throw e;
    }
  }

  detach(): void {
    for (const d of this.detachers.splice(0)) d();
  }

  private readonly messages: Uint8Array[] = [];

  /**
   * Messages the plugin sent the application (pquic_message_send), oldest first; taking them
   * makes room for more. PQUIC's plugins used sockets for this; ours have this queue.
   */
  takeMessages(): Uint8Array[] {
    return this.messages.splice(0);
  }

  /** A metadata slot of this plugin on this connection (for applications and tests). */
  metadata(index: number): U64 {
    return this.cnxMeta[index] ?? 0;
  }

  /** Runs an extern operation of this plugin for the application. */
  runExternal(name: string, ...args: unknown[]): unknown {
    return this.cnx.protoops.runExternal(name, 0xffff, ...args);
  }

  private run(p: Pluglet, index: number, call: ProtoopCall): unknown {
    if (this.failure) return this.fallback(call);
    // Bytes a call hands to the pluglet are granted into its heap for that call only.
    const grants: { ptr: number; size: number; from: Uint8Array; copyBack: boolean }[] = [];
    const grant = (bytes: Uint8Array, size = bytes.length, copyBack = false): number => {
      const ptr = this.heap.mallocHost(Math.max(1, size));
      if (ptr === 0) throw new HeapError(`no room in the plugin heap to grant ${size} bytes`);
      const mem = new Uint8Array(this.vm.memory.buffer, ptr, size);
      mem.fill(0);
      mem.set(bytes.subarray(0, Math.min(size, bytes.length)));
      grants.push({ ptr, size, from: bytes, copyBack });
      return ptr;
    };
    const frame: Frame = { inputs: [], outputs: [], returnValue: this.toU64(call.result) };
    this.frames.push(frame);
    const t0 = process.hrtime.bigint();
    try {
      // An extern operation with a contract: the application's buffer and length, checked.
      const contract = p.entry.anchor === 'extern' ? externContract(call.name) : undefined;
      frame.inputs = contract !== undefined
        ? externInputs(call.name, contract, call.args, (b) => grant(b, b.length, true), (x) => this.toU64(x))
        : this.inputsFor(call, grant);
      const r = this.vm.exec({ program: p.program, args: [CNX_HANDLE], fuel: this.plugin.fuel });
      const st = this.stats[index]!;
      st.calls++;
      st.totalNs += Number(process.hrtime.bigint() - t0);
      for (const g of grants) if (g.copyBack) g.from.set(new Uint8Array(this.vm.memory.buffer, g.ptr, Math.min(g.size, g.from.length)));
      if (p.entry.anchor === 'pre' || p.entry.anchor === 'post') return undefined;
      return this.resultFor(call, r.r0, frame, grants);
    } catch (e) {
      if (!(e instanceof VmError || e instanceof HelperFault || e instanceof ProtoopError || e instanceof HeapError)) throw e;
      return this.fail(e as Error, p, call);
    } finally {
      for (const g of grants) {
        new Uint8Array(this.vm.memory.buffer, g.ptr, g.size).fill(0);
        this.heap.freeHostBlock(g.ptr);
      }
      this.frames.pop();
      if (this.frames.length === 0) this.objects.length = 0;
    }
  }

  /**
   * The u64 inputs of a call. Frame and transport parameter operations follow PQUIC's
   * contracts (reference/pquic.md §2.3) with the bytes granted into plugin memory:
   *   parse_frame:  (bytes, bytes_max, frame_type) -> r0 = pointer after the frame;
   *                 outputs (frame, ack_needed, is_retransmittable)
   *   process_frame: (frame, current_time, packet number space)
   *   write_frame:  (bytes, bytes_max, frame_ctx) -> outputs (consumed, is_retransmittable)
   *   notify_frame: (frame_ctx, received: 1 acked, 0 lost)
   *   write_transport_parameter: (bytes, max 64) -> r0 = value length
   *   process_transport_parameter: (bytes, length) -> r0 != 0: the plugin is negotiated
   *   finalize_and_protect_packet: (space, pn, buffer, used, buffer length) -> r0 = new used
   * Other operations: numbers, booleans and bigints as they are, byte arrays granted (copied in
   * and back out), objects as opaque handles.
   */
  private inputsFor(call: ProtoopCall, grant: (b: Uint8Array, size?: number, copyBack?: boolean) => number): U64[] {
    const a = call.args;
    switch (call.name) {
      case 'parse_frame': {
        const r = a[0] as Reader;
        const ptr = grant(r.buf.subarray(r.position, r.end));
        contractLength(call.name, r.end - r.position);
        return [ptr, ptr + (r.end - r.position), this.toU64(a[1])];
      }
      case 'process_frame': {
        const f = a[0] as PluginFrame;
        const pkt = a[1] as { space?: number } | undefined;
        return [f.ptr ?? 0, this.toU64(a[2]), pkt?.space ?? 0];
      }
      case 'write_frame': {
        const max = Math.min(Number(a[1]), 65536);
        const ptr = grant(new Uint8Array(0), max);
        return [ptr, ptr + max, this.frameContext(call, a[2])];
      }
      case 'notify_frame':
        return [this.frameContext(call, a[0]), this.toU64(a[1])];
      case 'write_transport_parameter': {
        const ptr = grant(new Uint8Array(0), 64);
        return [ptr, 64];
      }
      case 'process_transport_parameter': {
        const v = a[1] as Uint8Array;
        contractLength(call.name, v.length);
        return [grant(v), v.length];
      }
      case 'finalize_and_protect_packet': {
        // (space, pn, buffer, used) + the buffer's length, which the verifier types the buffer
        // with (signatures.ts): the pluglet appends frames after `used` and must know the room.
        const b = a[2] as Uint8Array;
        contractLength(call.name, b.length);
        return [this.toU64(a[0]), this.toU64(a[1]), grant(b, b.length, true), this.toU64(a[3]), b.length];
      }
      case 'packet_was_lost':
      case 'fast_retransmit':
        // (packet, space): the packet as a handle that get_pkt reads.
        return [this.hold({ kind: 'pkt', pkt: a[0] as SentPacket, space: Number(a[1]) }), this.toU64(a[1])];
      case 'header_parsed':
        // (header, pn, space): the header as a handle that get_ph reads.
        return [this.hold({ kind: 'ph', header: a[0] as PacketHeader, pn: Number(a[1]), space: Number(a[2]) }), this.toU64(a[1]), this.toU64(a[2])];
      default:
        return a.map((x) => (x instanceof Uint8Array ? grant(x, x.length, true) : this.toU64(x)));
    }
  }

  /**
   * A reserved frame's frame_ctx for a write_frame or notify_frame pluglet. This plugin's
   * pluglets on a frame type it writes were verified with it typed as a value the plugin kept
   * (kept.ts, verify-plugin.ts), so only a value this instance reserved may reach them: the host
   * refuses other reservations (reserve_frames), and this catches what is left, frames still
   * queued or in flight when their plugin failed and another took the operation over. Other
   * pluglets (observers of another plugin's frames) read it as the number it is, as in PQUIC.
   */
  private frameContext(call: ProtoopCall, ctx: unknown): U64 {
    const own = ctx instanceof ReservedContext && ctx.owner === this;
    if (own) return ctx.value;
    if (writesFrame(this.plugin.manifest.pluglets, call.param)) {
      throw new HelperFault(`${call.name}[0x${call.param.toString(16)}]: the frame was not reserved by plugin ${this.plugin.name}`);
    }
    return this.toU64(ctx instanceof ReservedContext ? ctx.value : ctx);
  }

  private resultFor(call: ProtoopCall, r0: bigint, frame: Frame, grants: { ptr: number; size: number }[]): unknown {
    switch (call.name) {
      case 'parse_frame': {
        const r = call.args[0] as Reader;
        const start = grants[0]!.ptr;
        const end = Number(r0);
        const length = r.end - r.position;
        if (r0 === 0n || end < start || end - start > length) {
          throw new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, `plugin ${this.plugin.name} could not parse frame 0x${Number(call.args[1]).toString(16)}`);
        }
        r.position += end - start;
        const pf: PluginFrame = {
          type: 'plugin', frameType: Number(call.args[1]), ptr: Number(frame.outputs[0] ?? 0), owner: this.plugin.name,
          ackEliciting: frame.outputs[1] === undefined ? true : frame.outputs[1] !== 0 && frame.outputs[1] !== 0n,
        };
        return pf;
      }
      case 'write_frame': {
        const w = call.args[0] as Writer;
        const consumed = Number(frame.outputs[0] ?? 0);
        const g = grants[0]!;
        if (!Number.isSafeInteger(consumed) || consumed < 0 || consumed > g.size || consumed > w.remaining) {
          throw new HelperFault(`write_frame: consumed ${consumed} bytes of ${Math.min(g.size, w.remaining)}`);
        }
        w.bytes(new Uint8Array(this.vm.memory.buffer, g.ptr, consumed));
        return consumed;
      }
      case 'write_transport_parameter': {
        const n = Number(r0);
        if (n === 0) return undefined;
        if (!Number.isSafeInteger(n) || n > 64) throw new HelperFault(`write_transport_parameter: ${n} bytes (at most 64)`);
        return new Uint8Array(this.vm.memory.buffer, grants[0]!.ptr, n).slice();
      }
      case 'process_transport_parameter': {
        if (r0 !== 0n && this.plugin.manifest.options.has('negotiate') && !this.isNegotiated) {
          this.isNegotiated = true;
          this.attachPluglets(true);
          if (this.cnx.qlog.enabled) this.cnx.qlog.event(this.cnx.nowUs, 'pquic:plugin_negotiated', { plugin: this.plugin.name });
        }
        return this.fromU64(call.name, r0);
      }
      default:
        return this.fromU64(call.name, r0);
    }
  }

  private fail(e: Error, p: Pluglet, call: ProtoopCall): unknown {
    if (this.failure) {
      // A nested pluglet of this plugin failed first (through plugin_run_protoop): report that one.
      if (!this.plugin.optional) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, this.failure.message);
      return this.fallback(call);
    }
    const where = `${p.entry.protoop}${p.entry.param !== 0xffff ? `[0x${p.entry.param.toString(16)}]` : ''} ${p.entry.anchor} (${p.entry.source.file}:${p.entry.source.line})`;
    this.failure = new Error(`plugin ${this.plugin.name} failed in ${where}: ${e.message}`);
    this.detach();
    this.events.onFailure?.(this, this.failure);
    if (this.cnx.qlog.enabled) this.cnx.qlog.event(this.cnx.nowUs, 'pquic:plugin_failed', { plugin: this.plugin.name, protoop: p.entry.protoop, param: p.entry.param, error: e.message });
    if (!this.plugin.optional) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, this.failure.message);
    return this.fallback(call);
  }

  /** After a failure of an optional plugin: what the core would have returned. */
  private fallback(call: ProtoopCall): unknown {
    if (call.result !== undefined) return call.result;
    const entry = this.cnx.protoops.entry(call.name, call.param);
    const core = entry?.core ?? entry?.fallback?.();
    return core ? core(...call.args) : undefined;
  }

  // ---- values across the boundary

  private toU64(v: unknown): U64 {
    switch (typeof v) {
      case 'string':
        // Connection states reach plugins with AK_CNX_STATE's numbering.
        return STATE_NUMBERS[v] ?? 0;
      case 'number':
        if (Number.isInteger(v)) return v >= 0 ? v : BigInt.asUintN(64, BigInt(v));
        return Math.max(0, Math.round(v));
      case 'bigint':
        return BigInt.asUintN(64, v);
      case 'boolean':
        return v ? 1 : 0;
      case 'undefined':
        return 0;
      case 'object':
        if (v === null) return 0;
        // Objects no getter reads (writers, frame lists) are still opaque handles, never values.
        return this.hold({ kind: 'opaque', value: v });
      default:
        return 0;
    }
  }

  private fromU64(op: string, r0: bigint): unknown {
    switch (returnKind(op)) {
      case 'bool':
        return r0 !== 0n;
      case 'void':
        return undefined;
      default:
        return r0 <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r0) : r0;
    }
  }

  private frame(name: string): Frame {
    const f = this.frames[this.frames.length - 1];
    if (!f) throw new HelperFault(`${name} called outside a protoop`);
    return f;
  }

  // ---- the connection API

  private registerHelpers(): void {
    const vm = this.vm;
    const id = (name: string): number => HELPER_IDS.get(name)!;
    registerStandardHelpers(vm, {
      log: (line) => (this.events.log ? this.events.log(`[${this.plugin.name}] ${line}`) : undefined),
      now: () => BigInt(Math.round(this.cnx.nowUs)),
    });
    const checkCnx = (c: HelperCall): void => {
      if (c.num(1) !== CNX_HANDLE) throw new HelperFault(`not a connection handle: 0x${c.u64(1).toString(16)}`);
    };
    const checkPath = (h: number): void => {
      if (h !== PATH0_HANDLE) throw new HelperFault(`not a path handle: 0x${h.toString(16)}`);
    };
    const slot = (i: number): number => {
      if (!Number.isInteger(i) || i < 0 || i >= METADATA_SLOTS) throw new HelperFault(`metadata index ${i} outside [0, ${METADATA_SLOTS})`);
      return i;
    };
    vm.registerHelper(id('get_cnx'), 'get_cnx', (c) => {
      checkCnx(c);
      return this.getCnx(c.num(2), c.num(3));
    });
    vm.registerHelper(id('set_cnx'), 'set_cnx', (c) => {
      checkCnx(c);
      const ak = c.num(2);
      if (ak !== AK_CNX_OUTPUT) throw new HelperFault(`set_cnx: key 0x${ak.toString(16)} is read-only`);
      const i = c.num(3);
      const f = this.frame('set_cnx');
      if (i > f.outputs.length || i >= 16) throw new HelperFault(`set_cnx: output ${i} written before output ${f.outputs.length}`);
      f.outputs[i] = c.u64(4);
    });
    vm.registerHelper(id('get_cnx_metadata'), 'get_cnx_metadata', (c) => {
      checkCnx(c);
      return this.cnxMeta[slot(c.num(2))];
    });
    vm.registerHelper(id('set_cnx_metadata'), 'set_cnx_metadata', (c) => {
      checkCnx(c);
      this.cnxMeta[slot(c.num(2))] = c.u64(3);
    });
    vm.registerHelper(id('get_path'), 'get_path', (c) => {
      checkPath(c.num(1));
      return this.getPath(c.num(2), c.num(3));
    });
    vm.registerHelper(id('set_path'), 'set_path', (c) => {
      checkPath(c.num(1));
      const ak = c.num(2);
      if (ak !== AK_PATH_CWIN) throw new HelperFault(`set_path: key 0x${ak.toString(16)} is read-only`);
      const v = c.num(4);
      this.cnx.cc.congestionWindow = Math.max(1200, Math.min(v, Number.MAX_SAFE_INTEGER));
    });
    vm.registerHelper(id('get_pkt_ctx'), 'get_pkt_ctx', (c) => this.getPktCtx(pktCtxSpace(c.num(1), 'get_pkt_ctx'), c.num(2)));
    vm.registerHelper(id('plugin_run_protoop'), 'plugin_run_protoop', (c) => {
      checkCnx(c);
      const name = c.cstring(c.num(2), 100);
      const param = c.u32(3) & 0xffff;
      const n = c.num(4);
      if (n > 16) throw new HelperFault(`plugin_run_protoop: ${n} inputs (at most 16, PROTOOPARGS_MAX)`);
      const raw = n > 0 ? c.bytes(c.num(5), n * 8) : new Uint8Array(0);
      c.charge(PROTOOP_CALL_COST);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
      const inputs: U64[] = [];
      for (let i = 0; i < n; i++) {
        const v = dv.getBigUint64(i * 8, true);
        inputs.push(v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
      }
      // Core operations take the connection's objects (a frame reader, a packet, a buffer the
      // host grants), which a plugin cannot name: given numbers they would fail half-way or
      // quietly corrupt the connection. Plugins run the operations plugins define (PQUIC's
      // plugin-to-plugin calls), whose inputs are numbers.
      if (this.cnx.protoops.entry(name, param)?.core !== undefined) {
        throw new HelperFault(`plugin_run_protoop: ${name} is a core operation, whose inputs are the connection's objects; a plugin may run only operations plugins define`);
      }
      // The table refuses unknown and extern operations and re-entry (ProtoopError): the
      // calling pluglet fails, and with it this plugin on this connection.
      const r = this.cnx.protoops.run(name, param, ...inputs);
      return typeof r === 'number' || typeof r === 'bigint' ? r : typeof r === 'boolean' ? (r ? 1 : 0) : 0;
    });
    vm.registerHelper(id('recover_packet'), 'recover_packet', (c) => {
      // int recover_packet(cnx, const uint8_t *payload, size_t len): frames of a packet rebuilt by FEC.
      checkCnx(c);
      const len = c.num(3);
      if (len > 65536) throw new HelperFault(`recover_packet: ${len} bytes`);
      // Its frames are parsed and processed like a received packet's: charge like one.
      c.charge(PROTOOP_CALL_COST + byteCost(len));
      this.cnx.processRecoveredPayload(c.bytes(c.num(2), len), this.cnx.nowUs);
      return 0;
    });
    vm.registerHelper(id('packet_recovered'), 'packet_recovered', (c) => {
      // int packet_recovered(cnx, uint64_t pn): the peer rebuilt our 1-RTT packet pn; 1 if it was still in flight.
      checkCnx(c);
      return this.cnx.onPacketRecovered(c.num(2), this.cnx.nowUs) ? 1 : 0;
    });
    vm.registerHelper(id('pquic_message_send'), 'pquic_message_send', (c) => {
      // int pquic_message_send(cnx, const void *data, size_t len): 0, or -1 when the queue is full.
      checkCnx(c);
      const len = c.num(3);
      if (len > MESSAGE_MAX_BYTES) throw new HelperFault(`pquic_message_send: ${len} bytes (at most ${MESSAGE_MAX_BYTES})`);
      if (this.messages.length >= MESSAGE_QUEUE_MAX) return -1;
      c.charge(byteCost(len));
      const data = c.bytes(c.num(2), len).slice();
      this.messages.push(data);
      this.events.onMessage?.(this, data);
      return 0;
    });
    vm.registerHelper(id('pquic_frame_name'), 'pquic_frame_name', (c) => {
      // void pquic_frame_name(cnx, uint64_t frame_type, const char *name): how qlog names it.
      checkCnx(c);
      const name = c.cstring(c.num(3), 64);
      if (!/^[A-Za-z0-9_]{1,32}$/.test(name)) throw new HelperFault(`pquic_frame_name: bad name '${name}'`);
      this.cnx.frameNames.set(c.num(2), name);
    });
    vm.registerHelper(id('reserve_frames'), 'reserve_frames', (c) => {
      // size_t reserve_frames(cnx, uint8_t nb_frames, reserve_frame_slot_t *slots): 32-byte slots
      // { frame_type, nb_bytes, congestion_controlled, frame_ctx }; returns the bytes reserved.
      checkCnx(c);
      const n = c.u32(2) & 0xff;
      const slots = c.bytes(c.num(3), n * 32);
      c.charge(n * 8);
      const dv = new DataView(slots.buffer, slots.byteOffset, slots.length);
      const asked: { type: number; bytes: number; cc: boolean; ctx: ReservedContext }[] = [];
      for (let i = 0; i < n; i++) {
        const type = Number(dv.getBigUint64(i * 32, true));
        const bytes = Number(dv.getBigUint64(i * 32 + 8, true));
        if (!Number.isSafeInteger(type) || bytes <= 0 || bytes > 65536) throw new HelperFault(`reserve_frames: slot ${i} asks for ${bytes} bytes of frame 0x${type.toString(16)}`);
        // PQUIC hands frame_ctx to write_frame[type] and notify_frame[type] of whoever replaces
        // them (reference/pquic.md §4.2); the verifier types it there as a value this plugin
        // kept (src/plugins/verify-plugin.ts), so the reserver must be the writer: replace is
        // exclusive, so then every frame of the type comes from this instance.
        const writer = this.cnx.protoops.entry('write_frame', type)?.replace?.owner;
        if (writer !== this.plugin.name) {
          throw new HelperFault(`reserve_frames: slot ${i} reserves frame 0x${type.toString(16)}, but write_frame[0x${type.toString(16)}] is ${writer === undefined ? 'not replaced' : `replaced by ${writer}`}: a plugin reserves only the frames it writes`);
        }
        const raw = dv.getBigUint64(i * 32 + 24, true);
        const ctx = new ReservedContext(this, raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw);
        asked.push({ type, bytes, cc: dv.getBigUint64(i * 32 + 16, true) !== 0n, ctx });
      }
      let total = 0;
      for (const a of asked) {
        const opts = { owner: this.plugin.name, congestionControlled: a.cc, rateUnlimited: this.plugin.manifest.options.has('rate_unlimited') };
        if (!this.cnx.reserveFrame(a.type, a.bytes, a.ctx, opts)) break;
        total += a.bytes;
      }
      return total;
    });
    vm.registerHelper(id('get_path_metadata'), 'get_path_metadata', (c) => {
      checkCnx(c);
      checkPath(c.num(2));
      return this.pathMeta[slot(c.num(3))];
    });
    vm.registerHelper(id('set_path_metadata'), 'set_path_metadata', (c) => {
      checkCnx(c);
      checkPath(c.num(2));
      this.pathMeta[slot(c.num(3))] = c.u64(4);
    });
    this.registerObjectHelpers(checkCnx, slot);
    vm.registerHelper(id('my_malloc'), 'my_malloc', (c) => {
      checkCnx(c);
      // The call's pc is the block's allocation site: freed memory is reused only by the same
      // site. Zeroing the block is host work the program's fuel pays for, as a copy would.
      const addr = this.heap.malloc(c.num(2), c.pc);
      if (addr !== 0) c.charge(byteCost(c.num(2)));
      return addr;
    });
    vm.registerHelper(id('my_free'), 'my_free', (c) => {
      checkCnx(c);
      this.heap.freeBlock(c.num(2));
    });
    vm.registerHelper(id('my_realloc'), 'my_realloc', (c) => {
      checkCnx(c);
      return this.heap.realloc(c.num(2), c.num(3), (from, to, n) => {
        c.charge(byteCost(n));
        const mem = c.bytes(from, n);
        c.bytes(to, n, true).set(mem);
      }, c.pc);
    });
    vm.registerHelper(id('my_memcmp'), 'my_memcmp', memcmpHelper);
    vm.registerHelper(id('pquic_qlog_values'), 'pquic_qlog_values', (c) => {
      checkCnx(c);
      const name = c.cstring(c.num(2), 64);
      const keys = c.cstring(c.num(3), 4096).split(',');
      if (keys.length > 64 || !keys.every((k) => /^[A-Za-z0-9_]{1,64}$/.test(k))) throw new HelperFault('pquic_qlog_values: keys must be a comma-separated list of at most 64 names');
      if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new HelperFault('pquic_qlog_values: bad event name');
      const values = c.bytes(c.num(4), keys.length * 8);
      c.charge(keys.length * 8);
      const dv = new DataView(values.buffer, values.byteOffset, values.length);
      if (!this.cnx.qlog.enabled) return -1;
      const data: Record<string, number | string> = { plugin: this.plugin.name };
      keys.forEach((k, i) => {
        const v = dv.getBigUint64(i * 8, true);
        data[k] = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
      });
      this.cnx.qlog.event(this.cnx.nowUs, `pquic:${name}`, data);
      return 0;
    });
    vm.registerHelper(id('picoquic_varint_encode'), 'picoquic_varint_encode', (c) => {
      // size_t picoquic_varint_encode(uint8_t *bytes, size_t max, uint64_t n): 0 when it does not fit.
      const v = c.u64(3);
      const len = v < 64n ? 1 : v < 16384n ? 2 : v < 1073741824n ? 4 : v < 4611686018427387904n ? 8 : 0;
      if (len === 0 || len > c.num(2)) return 0;
      const out = c.bytes(c.num(1), len, true);
      let x = v;
      for (let i = len - 1; i >= 0; i--) {
        out[i] = Number(x & 0xffn);
        x >>= 8n;
      }
      out[0] = out[0]! | ([0, 0, 0x40, 0, 0x80, 0, 0, 0, 0xc0][len]!);
      return len;
    });
    vm.registerHelper(id('picoquic_varint_decode'), 'picoquic_varint_decode', (c) => {
      // size_t picoquic_varint_decode(const uint8_t *bytes, size_t max, uint64_t *n): 0 on error.
      const max = c.num(2);
      if (max < 1) return 0;
      const first = c.bytes(c.num(1), 1)[0]!;
      const len = 1 << (first >> 6);
      if (len > max) return 0;
      const b = c.bytes(c.num(1), len);
      let v = BigInt(first & 0x3f);
      for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(b[i]!);
      const out = c.bytes(c.num(3), 8, true);
      new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, v, true);
      return len;
    });
  }

  /**
   * Getters on packets, headers, connection IDs, streams and ranges of received packets; their
   * setters exist with PQUIC's ids so its pluglets link, and refuse every key: these objects are
   * the core's records of what was sent and received, which a plugin must not rewrite.
   */
  private registerObjectHelpers(checkCnx: (c: HelperCall) => void, slot: (i: number) => number): void {
    const vm = this.vm;
    const id = (name: string): number => HELPER_IDS.get(name)!;
    const readOnly = (name: string, check: (h: number) => void): void => {
      vm.registerHelper(id(name), name, (c) => {
        check(c.num(1));
        throw new HelperFault(`${name}: key 0x${c.num(2).toString(16)} is read-only`);
      });
    };
    const stream = (h: number, helper: string): number => {
      if (handleTag(h) !== HANDLE_STREAM) throw new HelperFault(`${helper}: not a stream handle: 0x${h.toString(16)}`);
      return handleIndex(h);
    };
    const sack = (h: number, helper: string): number => {
      if (handleTag(h) !== HANDLE_SACK) throw new HelperFault(`${helper}: not a sack item handle: 0x${h.toString(16)}`);
      return handleIndex(h);
    };
    vm.registerHelper(id('get_pkt'), 'get_pkt', (c) => getPkt(this.held(c.num(1), 'pkt', 'get_pkt'), c.num(2)));
    readOnly('set_pkt', (h) => this.held(h, 'pkt', 'set_pkt'));
    vm.registerHelper(id('get_ph'), 'get_ph', (c) => getPh(this.held(c.num(1), 'ph', 'get_ph'), c.num(2), (cid) => this.hold({ kind: 'cnxid', cid })));
    readOnly('set_ph', (h) => this.held(h, 'ph', 'set_ph'));
    vm.registerHelper(id('get_cnxid'), 'get_cnxid', (c) => getCnxid(this.held(c.num(1), 'cnxid', 'get_cnxid'), c.num(2)));
    readOnly('set_cnxid', (h) => this.held(h, 'cnxid', 'set_cnxid'));
    vm.registerHelper(id('pquic_cnxid_copy'), 'pquic_cnxid_copy', (c) => {
      // size_t pquic_cnxid_copy(cnxid, uint8_t *buf, size_t max): copies the ID, returns its length.
      const cid = this.held(c.num(1), 'cnxid', 'pquic_cnxid_copy').cid;
      const n = Math.min(cid.length, c.num(3));
      if (n > 0) c.bytes(c.num(2), n, true).set(cid.subarray(0, n));
      return cid.length;
    });
    vm.registerHelper(id('get_stream_head'), 'get_stream_head', (c) => getStreamHead(this.cnx, stream(c.num(1), 'get_stream_head'), c.num(2)));
    readOnly('set_stream_head', (h) => stream(h, 'set_stream_head'));
    vm.registerHelper(id('get_sack_item'), 'get_sack_item', (c) => getSackItem(this.cnx, sack(c.num(1), 'get_sack_item'), c.num(2)));
    readOnly('set_sack_item', (h) => sack(h, 'set_sack_item'));
    readOnly('set_pkt_ctx', (h) => pktCtxSpace(h, 'set_pkt_ctx'));
    vm.registerHelper(id('get_pkt_ctx_metadata'), 'get_pkt_ctx_metadata', (c) => {
      checkCnx(c);
      return this.pktCtxMeta[pktCtxSpace(c.num(2), 'get_pkt_ctx_metadata')]![slot(c.num(3))];
    });
    vm.registerHelper(id('set_pkt_ctx_metadata'), 'set_pkt_ctx_metadata', (c) => {
      checkCnx(c);
      this.pktCtxMeta[pktCtxSpace(c.num(2), 'set_pkt_ctx_metadata')]![slot(c.num(3))] = c.u64(4);
    });
    vm.registerHelper(id('get_pkt_metadata'), 'get_pkt_metadata', (c) => {
      checkCnx(c);
      const pkt = this.held(c.num(2), 'pkt', 'get_pkt_metadata').pkt;
      return (pkt.pluginMeta?.get(this) as U64[] | undefined)?.[slot(c.num(3))] ?? 0;
    });
    vm.registerHelper(id('set_pkt_metadata'), 'set_pkt_metadata', (c) => {
      checkCnx(c);
      const pkt = this.held(c.num(2), 'pkt', 'set_pkt_metadata').pkt;
      // Kept on the packet itself, so it dies with the packet's record (records are recycled).
      const all = (pkt.pluginMeta ??= new Map<object, unknown>());
      let m = all.get(this) as U64[] | undefined;
      if (!m) all.set(this, (m = new Array<U64>(METADATA_SLOTS).fill(0)));
      m[slot(c.num(3))] = c.u64(4);
    });
  }

  private getCnx(ak: number, param: number): U64 {
    const cnx = this.cnx;
    switch (ak) {
      case AK_CNX_INPUT: {
        const f = this.frame('get_cnx(AK_CNX_INPUT)');
        if (param >= f.inputs.length) throw new HelperFault(`get_cnx: input ${param} of ${f.inputs.length}`);
        return f.inputs[param]!;
      }
      case AK_CNX_OUTPUT:
        return this.frame('get_cnx(AK_CNX_OUTPUT)').outputs[param] ?? 0;
      case AK_CNX_RETURN_VALUE:
        return this.frame('get_cnx(AK_CNX_RETURN_VALUE)').returnValue;
      case AK_CNX_CLIENT_MODE: return cnx.isClient ? 1 : 0;
      case AK_CNX_STATE: return STATE_NUMBERS[cnx.state] ?? 0;
      case AK_CNX_START_TIME: return Math.round(cnx.startTimeUs);
      case AK_CNX_NB_RETRANSMISSION_TOTAL: return cnx.stats.packetsLost;
      case AK_CNX_DATA_SENT: return cnx.stats.bytesSent;
      case AK_CNX_DATA_RECEIVED: return cnx.stats.bytesReceived;
      case AK_CNX_MAXDATA_LOCAL: return cnx.streams.recvWindow.limit;
      case AK_CNX_NB_PATHS: return 1;
      case AK_CNX_PATH:
        if (param !== 0) throw new HelperFault(`get_cnx: no path ${param}`);
        return PATH0_HANDLE;
      case AK_CNX_HANDSHAKE_DONE: return cnx.handshakeConfirmed ? 1 : 0;
      case AK_CNX_INITIAL_CID: return this.hold({ kind: 'cnxid', cid: cnx.originalDcid });
      case AK_CNX_FIRST_STREAM: return streamHandle(cnx.streams.streamIds()[0]);
      case AK_CNX_PACKETS_SENT: return cnx.stats.packetsSent;
      case AK_CNX_PACKETS_RECEIVED: return cnx.stats.packetsReceived;
      default:
        throw new HelperFault(`get_cnx: unknown key 0x${ak.toString(16)}`);
    }
  }

  private getPktCtx(space: 0 | 1 | 2, ak: number): U64 {
    const s = this.cnx.spaces[space];
    switch (ak) {
      case AK_PKTCTX_SEND_SEQUENCE: return s.nextPn;
      case AK_PKTCTX_TIME_STAMP_LARGEST_RECEIVED: return Math.round(s.ack.largestReceivedTime ?? 0);
      case AK_PKTCTX_HIGHEST_ACKNOWLEDGED: return s.largestAckedPn ?? 0;
      case AK_PKTCTX_ACK_ELICITING_SINCE_ACK: return s.ack.ackElicitingSinceAck;
      case AK_PKTCTX_ACK_DEADLINE: return Math.round(s.ack.ackDeadline() ?? 0);
      case AK_PKTCTX_LARGEST_RECEIVED: return Math.max(0, s.ack.largestReceived);
      case AK_PKTCTX_FIRST_SACK_ITEM: return sackHandle(this.cnx, space, 0);
      default:
        throw new HelperFault(`get_pkt_ctx: unknown key 0x${ak.toString(16)}`);
    }
  }

  private getPath(ak: number, param = 0): U64 {
    const rtt = this.cnx.loss.rtt;
    switch (ak) {
      case AK_PATH_PKT_CTX:
        if (param > 2) throw new HelperFault(`get_path: no packet number space ${param}`);
        return makeHandle(HANDLE_PKT_CTX, param);
      case AK_PATH_SMOOTHED_RTT: return Math.round(rtt.smoothedRtt);
      case AK_PATH_RTT_VARIANT: return Math.round(rtt.rttvar);
      case AK_PATH_RTT_MIN: return Math.round(rtt.hasSample ? rtt.minRtt : 0);
      case AK_PATH_RTT_SAMPLE: return Math.round(rtt.latestRtt);
      case AK_PATH_MAX_ACK_DELAY: return Math.round(rtt.maxAckDelay);
      case AK_PATH_SEND_MTU: return this.cnx.config.maxDatagramSize;
      case AK_PATH_CWIN: return this.cnx.cc.congestionWindow;
      case AK_PATH_BYTES_IN_TRANSIT: return this.cnx.cc.bytesInFlight;
      case AK_PATH_NB_PKT_SENT: return this.cnx.stats.packetsSent;
      case AK_PATH_LOCAL_CID: return this.hold({ kind: 'cnxid', cid: this.cnx.cids.hostCid });
      case AK_PATH_REMOTE_CID: return this.hold({ kind: 'cnxid', cid: this.cnx.cids.peerCid });
      default:
        throw new HelperFault(`get_path: unknown key 0x${ak.toString(16)}`);
    }
  }

  /** A handle to a core object, valid until the outermost pluglet call returns. */
  private hold(o: HostObject): number {
    // Bounded by fuel anyway; a clear error beats a slow death by memory.
    if (this.objects.length >= MAX_HANDLES_PER_CALL) throw new HelperFault(`more than ${MAX_HANDLES_PER_CALL} object handles in one protoop call`);
    this.objects.push(o);
    return makeHandle(HANDLE_OBJECT, this.objects.length);
  }

  /** The core object behind a handle, checked to be of the kind the helper takes. */
  private held<K extends HostObject['kind']>(handle: number, kind: K, helper: string): Extract<HostObject, { kind: K }> {
    const o = handleTag(handle) === HANDLE_OBJECT ? this.objects[handleIndex(handle) - 1] : undefined;
    if (!o || (o as HostObject).kind !== kind) throw new HelperFault(`${helper}: not a ${KIND_NAMES[kind]} handle: 0x${handle.toString(16)}`);
    return o as Extract<HostObject, { kind: K }>;
  }
}

/**
 * The verifier proved the pluglets of these operations for buffers of at most the contract's
 * length (signatures.ts), and the JIT dropped checks on those proofs: a longer buffer (never a
 * QUIC packet or transport parameter) is refused rather than handed over.
 */
function contractLength(op: string, length: number): void {
  const max = inputContract(op)?.bufferLen[1];
  if (max !== undefined && length > max) throw new HelperFault(`${op}: ${length} bytes exceed the ${max} the pluglets were verified for`);
}
