/**
 * qlog output for the QUIC stack: one streaming trace per connection.
 *
 * Schema choice. The qlog drafts changed their top-level names twice; this module writes the
 * generation that quiche's qlog crate and the qvis visualizer read, and that uses the names
 * the stack asked for:
 *
 * - main schema: draft-ietf-quic-qlog-main-schema-04 (qlog_version "0.3"), JSON-SEQ mapping:
 *   a header record `{ qlog_version: "0.3", qlog_format: "JSON-SEQ", title, trace: {
 *   title, vantage_point: { type }, common_fields: { ODCID, group_id, protocol_type: ["QUIC"],
 *   time_format: "relative", reference_time } } }`, then one record per event
 *   `{ time, name, data }`, `time` in milliseconds (microsecond precision) since the trace's
 *   start, reference_time the Unix time (ms) of that start;
 * - events: draft-ietf-quic-qlog-quic-events-03, names `category:type` with the categories
 *   connectivity, transport, security and recovery (`transport:packet_sent`,
 *   `recovery:metrics_updated`, ...), frame fields as in that draft (ConnectionClose
 *   `raw_error_code`, UnknownFrame `raw_frame_type`, ACK ranges as [smallest, largest] pairs
 *   and ack_delay in ms);
 * - plugin events use their own category, `pquic:` (`pquic:plugin_inserted`, ...).
 *
 * Later drafts (main-schema-09+) renamed the header to `file_schema` / `serialization_format`
 * and the categories to a single `quic:` namespace; moving there changes the header builder
 * (`qlogHeader`) and the name table (`QlogEventName`) only.
 *
 * Files: `<dir>/<ODCID hex>_<client|server>.sqlog` (`openQlogFile`), JSON-SEQ (RFC 7464): each
 * record is 0x1E + JSON + LF.
 */

export * from './format.js';
export * from './frames.js';
export * from './writer.js';
export * from './file.js';
export * from './events.js';
