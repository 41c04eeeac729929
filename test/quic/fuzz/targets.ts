/** Every QUIC fuzz target by name, in the order `npm run fuzz:quic` runs them. */
import { connTarget } from './conn-target.js';
import { manifestTarget } from './manifest-target.js';
import type { FuzzTarget } from './runner.js';
import { tlsTarget, x509Target } from './tls-targets.js';
import { frameTarget, headerTarget, transportParametersTarget, varintTarget } from './wire-targets.js';

export const TARGETS: readonly FuzzTarget[] = [
  frameTarget,
  headerTarget,
  transportParametersTarget(),
  varintTarget,
  tlsTarget,
  x509Target,
  manifestTarget,
  connTarget,
];

export function targetByName(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}
