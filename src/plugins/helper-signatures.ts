/**
 * The connection API as the verifier sees it: for every helper of the plugin ABI (abi.ts), what
 * each argument must be (handle, pointer + length, scalar, nullable) and what r0 becomes. Kept
 * next to the ABI so the two change together; test/plugins/helper-signatures.test.ts fails when
 * a helper the runtime registers has no signature here.
 *
 * Handles (abi.ts: tags above 2^40) are checked by the host, so a number is accepted where one
 * is expected; a pointer never is. Values a setter hands the host (`value`) must not be
 * addresses under strict: the host interprets them. Values the host only keeps for this plugin
 * instance and gives back to it (`kept`: metadata slots, set_cnx outputs that are kept, such as
 * parse_frame's frame structure) may be heap pointers (src/vm/verifier/kept.ts); the getters of
 * those slots return what the plugin-wide summary says the slot holds.
 */
import { STANDARD_HELPER_SIGNATURES } from '../vm/helper-signatures.js';
import { HELPER_MEMSET } from '../vm/helpers.js';
import type { ArgSpec, HelperSignature, KeptStore } from '../vm/verifier/types.js';
import { AK_CNX_INPUT, HELPER_IDS } from './abi.js';

const scalar: ArgSpec = { kind: 'scalar' };
const value: ArgSpec = { kind: 'value' };
const h = (handle: string): ArgSpec => ({ kind: 'handle', handle });
const cnx = h('cnx');
/** The value of a kept slot of `store` whose index is in register `keyArg`. */
const kept = (store: KeptStore, keyArg: number): ArgSpec => ({ kind: 'kept', store, keyArg });
const keptRet = (store: KeptStore, keyArg: number) => ({ kind: 'kept', store, keyArg }) as const;

type Sig = Omit<HelperSignature, 'name'>;
const num = { kind: 'scalar' } as const;
const varintBytes = { kind: 'scalar', max: 8, atMostArg: 2 } as const;
const none = { kind: 'void' } as const;

/** Getter and setter of an object's fields by access key: get_X(obj, ak[, param]) / set_X(obj, ak[, param], value). */
const getter = (obj: ArgSpec, param: boolean): Sig => ({ args: param ? [obj, scalar, scalar] : [obj, scalar], ret: num });
const setter = (obj: ArgSpec, param: boolean): Sig => ({ args: param ? [obj, scalar, scalar, value] : [obj, scalar, value], ret: none });

const CONNECTION_API: Record<string, Sig> = {
  // protoop_arg_t plugin_run_protoop(cnx, const char *name, uint16_t param, uint64_t inputc, const uint64_t *inputv)
  plugin_run_protoop: {
    args: [cnx, { kind: 'cstring' }, scalar, scalar, { kind: 'mem', access: 'read', len: 4, scale: 8, maxLen: 128, nullable: true }],
    ret: num,
  },
  // size_t reserve_frames(cnx, uint8_t nb_frames, reserve_frame_slot_t *slots): 32-byte slots
  // { frame_type, nb_bytes, congestion_controlled, frame_ctx }, frame_ctx kept for the plugin.
  reserve_frames: { args: [cnx, scalar, { kind: 'mem', access: 'read', len: 2, scale: 32, records: { stride: 32, typeOff: 0, valueOff: 24 } }], ret: num },
  // get_cnx(cnx, AK_CNX_INPUT, i): input i of the running operation, typed by its contract.
  get_cnx: { args: [cnx, scalar, scalar], ret: { kind: 'input', keyArg: 2, key: AK_CNX_INPUT, indexArg: 3 } },
  // set_cnx(cnx, AK_CNX_OUTPUT, i, v): the only key the host lets a pluglet set; whether output
  // i is kept for the plugin or read by the host depends on the operation (VerifyOptions.kept).
  set_cnx: { args: [cnx, scalar, scalar, kept('output', 3)], ret: none },
  get_cnx_metadata: { args: [cnx, scalar], ret: keptRet('cnx_metadata', 2) },
  set_cnx_metadata: { args: [cnx, scalar, kept('cnx_metadata', 2)], ret: none },
  get_path: getter(h('path'), true),
  set_path: setter(h('path'), true),
  get_path_metadata: { args: [cnx, h('path'), scalar], ret: keptRet('path_metadata', 3) },
  set_path_metadata: { args: [cnx, h('path'), scalar, kept('path_metadata', 3)], ret: none },
  get_pkt_ctx: getter(h('pkt_ctx'), false),
  set_pkt_ctx: setter(h('pkt_ctx'), false),
  get_pkt_ctx_metadata: { args: [cnx, h('pkt_ctx'), scalar], ret: keptRet('pkt_ctx_metadata', 3) },
  set_pkt_ctx_metadata: { args: [cnx, h('pkt_ctx'), scalar, kept('pkt_ctx_metadata', 3)], ret: none },
  get_pkt: getter(h('pkt'), false),
  set_pkt: setter(h('pkt'), false),
  get_pkt_metadata: { args: [cnx, h('pkt'), scalar], ret: keptRet('pkt_metadata', 3) },
  set_pkt_metadata: { args: [cnx, h('pkt'), scalar, kept('pkt_metadata', 3)], ret: none },
  get_sack_item: getter(h('sack_item'), false),
  set_sack_item: setter(h('sack_item'), false),
  get_cnxid: getter(h('cnxid'), false),
  set_cnxid: setter(h('cnxid'), false),
  get_stream_head: getter(h('stream'), false),
  set_stream_head: setter(h('stream'), false),
  get_ph: getter(h('ph'), false),
  set_ph: setter(h('ph'), false),
  // void *my_malloc(cnx, unsigned int size): a block of at least size bytes, or NULL.
  my_malloc: { args: [cnx, scalar], ret: { kind: 'heap_or_null', sizeArg: 2 } },
  my_free: { args: [cnx, { kind: 'heap_or_null' }], ret: none },
  // The new block is a copy of the old one, of another allocation site (src/plugins/heap.ts).
  my_realloc: { args: [cnx, { kind: 'heap_or_null' }, scalar], ret: { kind: 'heap_or_null', sizeArg: 3, copies: true } },
  my_memcmp: { args: [{ kind: 'mem', access: 'read', len: 3 }, { kind: 'mem', access: 'read', len: 3 }, scalar], ret: num },
  // size_t picoquic_varint_decode(const uint8_t *bytes, size_t max, uint64_t *n): reads at most max bytes.
  // A varint has at most 8 bytes: the host never touches more, whatever max says.
  // Both return the bytes of the varint they read or wrote, 0 to 8 (RFC 9000 §16; instance.ts).
  picoquic_varint_decode: { args: [{ kind: 'mem', access: 'read', len: 2, cap: 8 }, scalar, { kind: 'mem', access: 'write', size: 8 }], ret: varintBytes },
  // size_t picoquic_varint_encode(uint8_t *bytes, size_t max, uint64_t n): writes at most max bytes.
  picoquic_varint_encode: { args: [{ kind: 'mem', access: 'write', len: 2, cap: 8 }, scalar, scalar], ret: varintBytes },
  // int pquic_qlog_values(cnx, const char *name, const char *keys, const uint64_t *values): one
  // value per key; the host reads 8 bytes per comma-separated key, known when keys is a constant.
  pquic_qlog_values: { args: [cnx, { kind: 'cstring' }, { kind: 'cstring' }, { kind: 'mem', access: 'read', size: 8, unsized: true, keysArg: 3 }], ret: num },
  recover_packet: { args: [cnx, { kind: 'mem', access: 'read', len: 3, maxLen: 65536 }, scalar], ret: num },
  packet_recovered: { args: [cnx, scalar], ret: num },
  pquic_frame_name: { args: [cnx, scalar, { kind: 'cstring' }], ret: none },
  // size_t pquic_cnxid_copy(cnxid, uint8_t *buf, size_t max): writes at most max bytes.
  pquic_cnxid_copy: { args: [h('cnxid'), { kind: 'mem', access: 'write', len: 3 }, scalar], ret: num },
  pquic_message_send: { args: [cnx, { kind: 'mem', access: 'read', len: 3, maxLen: 65536 }, scalar], ret: num },
};

function build(): Map<number, HelperSignature> {
  const m = new Map<number, HelperSignature>(STANDARD_HELPER_SIGNATURES);
  for (const [name, sig] of Object.entries(CONNECTION_API)) {
    const id = HELPER_IDS.get(name);
    if (id === undefined) throw new Error(`helper-signatures: ${name} is not in HELPER_IDS`);
    m.set(id, { name, ...sig });
  }
  // my_memset writes the low byte of r2 over every byte: a fill with 0 at a known place leaves
  // heap fields as the allocator hands them out (src/vm/verifier/cells.ts), anything else poisons.
  const memset = m.get(HELPER_MEMSET)!;
  m.set(HELPER_MEMSET, { ...memset, args: memset.args.map((a, i) => (i === 0 && a.kind === 'mem' ? { ...a, fillArg: 2 } : a)) });
  return m;
}

/** Signature of every helper of the plugin ABI, by id. */
export const PLUGIN_HELPER_SIGNATURES: ReadonlyMap<number, HelperSignature> = build();

/** The verifier options that describe the plugin ABI. */
export const pluginHelpers = {
  helper: (id: number): HelperSignature | undefined => PLUGIN_HELPER_SIGNATURES.get(id),
  helperId: (name: string): number | undefined => HELPER_IDS.get(name),
};
