import type { InputKind } from '../vm/verifier/types.js';

/**
 * How a replace pluglet's r0 becomes the TypeScript value a core operation's caller expects.
 * The inputs need no table: numbers, booleans and bigints go in as u64, objects as handles.
 */
export type ReturnKind = 'bool' | 'number' | 'void';

const KINDS: Readonly<Record<string, ReturnKind>> = {
  is_ack_needed: 'bool',
  update_ack_delay: 'number',
  update_rtt: 'void',
  retransmit_needed: 'void',
  packet_was_lost: 'void',
  fast_retransmit: 'void',
  retransmission_timeout: 'void',
  congestion_algorithm_notify: 'void',
  received_packet: 'void',
  finalize_and_protect_packet: 'number',
  stream_bytes_max: 'number',
  header_parsed: 'void',
  header_prepared: 'void',
  before_sending_packet: 'void',
  stream_opened: 'void',
  stream_closed: 'void',
  stream_flags_changed: 'void',
  connection_state_changed: 'void',
  prepare_packet_ready: 'void',
  schedule_frames_on_path: 'void',
  connection_error: 'void',
  peer_address_changed: 'void',
  unknown_tp_received: 'void',
};

/** Operations defined by plugins return their u64 as a number (or a bigint above 2^53). */
export function returnKind(op: string): ReturnKind {
  return KINDS[op] ?? 'number';
}

/**
 * What a pluglet's inputs are for the verifier (get_cnx(cnx, AK_CNX_INPUT, i)), for the
 * operations whose inputs include a buffer the host grants (instance.ts, inputsFor): its start,
 * its end or its length, and the bounds of that length. Other operations' inputs are numbers
 * (or handles) to the verifier.
 */
export interface InputContract {
  inputs: readonly InputKind[];
  bufferLen: readonly [number, number];
  /** r0 is where the frame ends in the buffer (parse_frame), or NULL. */
  returnsBufferPointer?: boolean;
}

const CONTRACTS: Readonly<Record<string, InputContract>> = {
  // (bytes, bytes_max, frame_type): the rest of the packet, at most 65536 bytes
  parse_frame: { inputs: ['buffer', 'buffer_end', 'scalar'], bufferLen: [0, 65536], returnsBufferPointer: true },
  // (bytes, bytes_max, frame_ctx): room for the frame, at most 65536 bytes
  write_frame: { inputs: ['buffer', 'buffer_end', 'scalar'], bufferLen: [0, 65536] },
  // (bytes, 64): 64 bytes for the value
  write_transport_parameter: { inputs: ['buffer', 'buffer_len'], bufferLen: [64, 64] },
  // (bytes, length): the parameter's value
  process_transport_parameter: { inputs: ['buffer', 'buffer_len'], bufferLen: [0, 65536] },
  // (type, pn, size, payload, payload length): the packet's plaintext payload, granted with its
  // exact length (src/quic/connection/connection.ts, instance.ts inputsFor). Nothing checks that
  // length against a bound at the call, so none is claimed beyond the grant itself: a block of
  // the plugin's heap, inside a 32-bit WebAssembly memory.
  // (space, pn, buffer, used, buffer length): the 1-RTT plaintext with room after its frames,
  // granted with its exact length, which instance.ts inputsFor appends as input 4 (the core's
  // call, connection.ts, passes only the first four). The host refuses a buffer longer than the
  // bound (never a QUIC packet) and a returned length past the buffer.
  finalize_and_protect_packet: { inputs: ['scalar', 'scalar', 'buffer', 'scalar', 'buffer_len'], bufferLen: [0, 65536] },
  received_packet: { inputs: ['scalar', 'scalar', 'scalar', 'buffer', 'buffer_len'], bufferLen: [0, 0xffffffff] },
};

export function inputContract(op: string): InputContract | undefined {
  return CONTRACTS[op];
}
