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
