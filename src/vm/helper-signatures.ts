/**
 * Signatures of the standard helpers (helpers.ts) for the verifier: what each argument register
 * must hold. Keep in sync with registerStandardHelpers; the plugin ABI adds the connection API
 * (src/plugins/helper-signatures.ts), and a test fails when a registered helper has none.
 */
import { HELPER_CURRENT_TIME, HELPER_LOG, HELPER_MEMCMP, HELPER_MEMCPY, HELPER_MEMSET, HELPER_STRLEN } from './helpers.js';
import type { HelperSignature } from './verifier/types.js';

const scalar = { kind: 'scalar' } as const;

export const STANDARD_HELPER_SIGNATURES: ReadonlyMap<number, HelperSignature> = new Map([
  [HELPER_CURRENT_TIME, { name: 'picoquic_current_time', args: [], ret: { kind: 'scalar' } }],
  [HELPER_MEMCPY, {
    name: 'my_memcpy',
    args: [{ kind: 'mem', access: 'write', len: 3 }, { kind: 'mem', access: 'read', len: 3 }, scalar],
    ret: { kind: 'scalar' },
  }],
  [HELPER_MEMSET, { name: 'my_memset', args: [{ kind: 'mem', access: 'write', len: 3 }, scalar, scalar], ret: { kind: 'scalar' } }],
  [HELPER_STRLEN, { name: 'strlen', args: [{ kind: 'cstring' }], ret: { kind: 'scalar' } }],
  [HELPER_MEMCMP, {
    name: 'memcmp',
    args: [{ kind: 'mem', access: 'read', len: 3 }, { kind: 'mem', access: 'read', len: 3 }, scalar],
    ret: { kind: 'scalar' },
  }],
  // %s takes an address: the values may be anything initialized.
  [HELPER_LOG, { name: 'pquic_log', args: [{ kind: 'cstring' }, { kind: 'any' }, { kind: 'any' }, { kind: 'any' }, { kind: 'any' }], ret: { kind: 'scalar' } }],
] satisfies [number, HelperSignature][]);
