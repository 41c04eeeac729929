/**
 * Argument handling shared by the subcommands: node:util's parseArgs in strict mode, with every
 * parse failure turned into a UsageError that the entry point prints with the command's help.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Engine } from '../vm/vm.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Options): Parsed {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function strs(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A non-negative integer option (decimal or 0x hex), within [min, max]. */
export function intOpt(p: Parsed, name: string, min: number, max: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${v}'`);
  }
  return n;
}

/** The `--engine interpreter|jit` option, or `fallback` when absent. */
export function engineOpt(p: Parsed, fallback: Engine = 'interpreter'): Engine {
  const v = str(p, 'engine') ?? fallback;
  if (v === 'interpreter' || v === 'jit') return v;
  throw new UsageError(`--engine must be interpreter or jit, got '${v}'`);
}
