/**
 * Turns a CFG into WebAssembly's structured control flow.
 *
 * Reducible graphs use the algorithm of N. Ramsey, "Beyond Relooper: recursive translation of
 * unstructured control flow to structured control flow" (ICFP 2022): walk the dominator tree;
 * a block that is the target of a back edge becomes a `loop`; each dominator-tree child that
 * has several forward predecessors (a merge node) is placed right after a `block` wrapped around
 * its dominator's code, highest reverse-postorder number outermost, so that every forward edge
 * to it is a `br` out of that block; any other child has one predecessor and is emitted inline.
 *
 * Irreducible graphs (hand-written or fuzzed bytecode only; clang never emits them) fall back
 * to a dispatch loop: `loop { block* { br_table on a label local } code of block k ... }`, where
 * every branch sets the label and continues the loop. Slower, always correct.
 */
import type { Cfg } from './cfg.js';
import { Code, Op } from './wasm.js';

/** What the structurer needs from the instruction translator. */
export interface BlockEmitter {
  readonly code: Code;
  /** Open structured constructs (the translator's own and ours), for branch depths. */
  readonly labels: Label[];
  /** The instructions of block b, up to (not including) its terminator. */
  body(b: number): void;
  /** Pushes the i32 condition of block b's conditional jump (non-zero: taken). */
  condition(b: number): void;
  /** Emits block b's `exit` or fault terminator (a return or a branch to the fault path). */
  leave(b: number): void;
  /** Local holding the dispatch label of the irreducible fallback. */
  readonly dispatchLocal: number;
  /**
   * Whether loop header b (reducible graphs) wants code on every edge into it: `enterLoop(b)`
   * before its `loop` is entered from outside and before each back edge's branch.
   */
  checksOnEdges(b: number): boolean;
  enterLoop(b: number): void;
}

/** An open `block`, `loop` or `if`: where a `br` to it goes. */
export type Label =
  | { kind: 'follow'; block: number } // br lands just before block `block`
  | { kind: 'head'; block: number } // br continues the loop headed by `block`
  | { kind: 'dispatch' } // br continues the dispatch loop
  | { kind: 'other' };

export function open(e: BlockEmitter, op: number, label: Label, type = 0x40): void {
  e.code.byte(op).byte(type);
  e.labels.push(label);
}

export function close(e: BlockEmitter): void {
  e.code.end();
  e.labels.pop();
}

function depthOf(e: BlockEmitter, match: (l: Label) => boolean): number {
  const ls = e.labels;
  for (let i = ls.length - 1; i >= 0; i--) if (match(ls[i]!)) return ls.length - 1 - i;
  throw new Error('JIT: branch to a label that is not open');
}

/** Emits the whole function body for `cfg`. */
export function stackify(cfg: Cfg, e: BlockEmitter): void {
  if (cfg.reducible) new Structurer(cfg, e).run();
  else dispatch(cfg, e);
}

/** Work items of the structurer: its recursion made iterative, so deep nesting cannot overflow the JS stack. */
type Step =
  | { t: 'tree'; x: number }
  | { t: 'within'; x: number; k: number }
  | { t: 'branch'; x: number; y: number }
  | { t: 'else' }
  | { t: 'close' };

class Structurer {
  private readonly merge: boolean[];
  private readonly header: boolean[];
  private readonly mergeChildren: number[][];
  /** Index in e.labels of the open `block` followed by block b, and of the `loop` headed by b (-1: none). */
  private readonly followAt: number[];
  private readonly headAt: number[];
  private readonly steps: Step[] = [];

  constructor(private readonly cfg: Cfg, private readonly e: BlockEmitter) {
    const n = cfg.blocks.length;
    // Indexed loops, no callbacks (each one more function for V8 to compile at a cold start).
    this.merge = [];
    this.header = [];
    this.mergeChildren = [];
    for (let i = 0; i < n; i++) {
      const preds = cfg.blocks[i]!.preds;
      let forward = 0;
      for (let j = 0; j < preds.length; j++) if (preds[j]! < i) forward++;
      this.merge.push(forward >= 2);
      this.header.push(forward < preds.length);
      this.mergeChildren.push([]);
    }
    // Children in decreasing RPO order: the first one's block is outermost, its code last.
    for (let i = n - 1; i > 0; i--) if (this.merge[i]) this.mergeChildren[cfg.idom[i]!]!.push(i);
    // Plain arrays: small, made once per function, where a typed array costs more to allocate.
    this.followAt = new Array<number>(n).fill(-1);
    this.headAt = new Array<number>(n).fill(-1);
  }

  run(): void {
    this.steps.push({ t: 'tree', x: 0 });
    for (let s = this.steps.pop(); s; s = this.steps.pop()) {
      switch (s.t) {
        case 'tree':
          this.tree(s.x);
          break;
        case 'within':
          this.within(s.x, s.k);
          break;
        case 'branch':
          this.branch(s.x, s.y);
          break;
        case 'else':
          this.e.code.op(Op.else);
          break;
        case 'close': {
          const l = this.e.labels[this.e.labels.length - 1]!;
          if (l.kind === 'follow') this.followAt[l.block] = -1;
          else if (l.kind === 'head') this.headAt[l.block] = -1;
          close(this.e);
          break;
        }
      }
    }
  }

  /** Steps run in the order given (pushed in reverse). */
  private then(...steps: Step[]): void {
    for (let i = steps.length - 1; i >= 0; i--) this.steps.push(steps[i]!);
  }

  private tree(x: number): void {
    if (this.header[x]) {
      if (this.e.checksOnEdges(x)) this.e.enterLoop(x);
      this.headAt[x] = this.e.labels.length;
      open(this.e, Op.loop, { kind: 'head', block: x });
      this.then({ t: 'within', x, k: 0 }, { t: 'close' });
    } else {
      this.within(x, 0);
    }
  }

  private within(x: number, k: number): void {
    const ys = this.mergeChildren[x]!;
    if (k === ys.length) {
      this.e.body(x);
      this.terminator(x);
      return;
    }
    const y = ys[k]!;
    this.followAt[y] = this.e.labels.length;
    open(this.e, Op.block, { kind: 'follow', block: y });
    this.then({ t: 'within', x, k: k + 1 }, { t: 'close' }, { t: 'tree', x: y });
  }

  /** Whether an edge x -> y is a `br` (back edge or edge to a merge node) rather than inline code. */
  private isBr(x: number, y: number): boolean {
    return y <= x || this.merge[y]!;
  }

  private brDepth(x: number, y: number): number {
    const at = y <= x ? this.headAt[y]! : this.followAt[y]!;
    if (at < 0) throw new Error('JIT: branch to a label that is not open');
    return this.e.labels.length - 1 - at;
  }

  private branch(x: number, y: number): void {
    if (y <= x && this.e.checksOnEdges(y)) this.e.enterLoop(y);
    if (this.isBr(x, y)) this.e.code.br(this.brDepth(x, y));
    else this.steps.push({ t: 'tree', x: y });
  }

  /** Branches to `y` if the i32 on the stack is non-zero. */
  private branchIf(x: number, y: number): void {
    if (y > x || !this.e.checksOnEdges(y)) {
      this.e.code.brIf(this.brDepth(x, y));
      return;
    }
    // A back edge with code on it: `if (c) { enterLoop; br }`.
    open(this.e, Op.if, { kind: 'other' });
    this.e.enterLoop(y);
    this.e.code.br(this.brDepth(x, y));
    close(this.e);
  }

  private terminator(x: number): void {
    const b = this.cfg.blocks[x]!;
    const ex = b.exit;
    if (ex.kind === 'jump') return this.branch(x, b.succs[0]!);
    if (ex.kind !== 'cond') return this.e.leave(x);
    const [taken, next] = b.succs.length === 1 ? [b.succs[0]!, b.succs[0]!] : [b.succs[0]!, b.succs[1]!];
    this.e.condition(x);
    if (taken === next) {
      this.e.code.op(Op.drop);
      return this.branch(x, taken);
    }
    if (this.isBr(x, taken)) {
      this.branchIf(x, taken);
      return this.branch(x, next);
    }
    if (this.isBr(x, next)) {
      this.e.code.op(Op.i32_eqz);
      this.branchIf(x, next);
      return this.branch(x, taken);
    }
    open(this.e, Op.if, { kind: 'other' });
    this.then({ t: 'branch', x, y: taken }, { t: 'else' }, { t: 'branch', x, y: next }, { t: 'close' });
  }
}

/** The irreducible fallback: one dispatch loop over every block. */
function dispatch(cfg: Cfg, e: BlockEmitter): void {
  const n = cfg.blocks.length;
  const c = e.code;
  const go = (y: number): void => {
    c.i32Const(y).set(e.dispatchLocal).br(depthOf(e, (l) => l.kind === 'dispatch'));
  };
  // The label local starts at 0, the entry block.
  open(e, Op.loop, { kind: 'dispatch' });
  for (let k = 0; k < n; k++) open(e, Op.block, { kind: 'other' });
  c.get(e.dispatchLocal).byte(Op.br_table).u32(n - 1);
  for (let k = 0; k < n - 1; k++) c.u32(k);
  c.u32(n - 1);
  for (let k = 0; k < n; k++) {
    close(e);
    const b = cfg.blocks[k]!;
    e.body(k);
    if (b.exit.kind === 'jump') go(b.succs[0]!);
    else if (b.exit.kind === 'cond') {
      const [taken, next] = b.succs.length === 1 ? [b.succs[0]!, b.succs[0]!] : [b.succs[0]!, b.succs[1]!];
      e.condition(k);
      open(e, Op.if, { kind: 'other' });
      go(taken);
      c.op(Op.else);
      go(next);
      close(e);
    } else e.leave(k);
  }
  close(e);
}
