/**
 * Protocol operation names, verbatim from PQUIC (`picoquic/protoop.h`, reference/pquic.md §2.4).
 * They cross the plugin boundary (manifests name them), so they keep PQUIC's spelling.
 */

/** "No parameter": the default entry of a parametrable operation (PQUIC's NO_PARAM). */
export const NO_PARAM = 0xffff;

/** The six parametrable operations: param = frame type or transport parameter id. */
export const PARAMETRABLE = new Set([
  'parse_frame',
  'process_frame',
  'write_frame',
  'notify_frame',
  'write_transport_parameter',
  'process_transport_parameter',
]);

/** Every core protoop name of PQUIC (80), grouped as reference/pquic.md §2.4 groups them. */
export const CORE_PROTOOPS: readonly string[] = [
  // parametrable
  'parse_frame', 'process_frame', 'write_frame', 'notify_frame', 'write_transport_parameter', 'process_transport_parameter',
  // frames and frame building
  'prepare_stream_frame', 'prepare_plugin_frame', 'prepare_crypto_hs_frame', 'prepare_handshake_done', 'prepare_ack_frame',
  'prepare_ack_ecn_frame', 'prepare_max_data_frame', 'prepare_required_max_stream_data_frames',
  'prepare_path_challenge_frame', 'skip_frame', 'parse_ecn_block', 'process_ecn_block', 'write_ecn_block',
  // ACKs, RTT, loss detection, retransmission
  'update_rtt', 'process_ack_range', 'check_spurious_retransmission', 'process_possible_ack_of_ack_frame',
  'process_ack_of_ack_range', 'process_ack_of_stream_frame', 'check_stream_frame_already_acked', 'is_ack_needed',
  'update_ack_delay', 'retransmit_needed', 'retransmit_needed_by_packet', 'dequeue_retransmit_packet',
  'dequeue_retransmitted_packet', 'packet_was_lost', 'fast_retransmit', 'retransmission_timeout', 'tail_loss_probe',
  // congestion control, pacing, timers
  'congestion_algorithm_notify', 'estimate_path_bandwidth', 'set_next_wake_time',
  'has_congestion_controlled_plugin_frames_to_send',
  // sending and scheduling
  'schedule_frames_on_path', 'scheduler_write_new_frames', 'prepare_packet_ready', 'prepare_packet_old_context',
  'prepare_mtu_probe', 'predict_packet_header_length', 'get_checksum_length', 'finalize_and_protect_packet',
  'select_sending_path', 'get_destination_connection_id', 'before_sending_packet', 'header_prepared',
  'segment_prepared', 'segment_aborted',
  // receiving
  'incoming_encrypted', 'get_incoming_path', 'received_packet', 'received_segment', 'header_parsed',
  // streams
  'find_ready_stream', 'schedule_next_stream', 'find_ready_plugin_stream', 'is_tls_stream_ready', 'stream_bytes_max',
  'stream_always_encode_length', 'stream_opened', 'plugin_stream_opened', 'stream_flags_changed', 'stream_closed',
  // connection state, paths, transport parameters
  'connection_state_changed', 'connection_error', 'peer_address_changed', 'unknown_tp_received',
  // application callback, printing, logging
  'callback_function', 'printf', 'snprintf', 'log_event', 'log_frame', 'push_log_context', 'pop_log_context',
];
