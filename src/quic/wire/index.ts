/**
 * The QUIC v1 wire format (RFC 9000, RFC 8999 invariants): cursors, varints, packet numbers,
 * packet headers, frames and transport parameters. No cryptography: packet protection uses the
 * offsets the header functions return.
 */

export * from './errors.js';
export * from './buffer.js';
export * from './varint.js';
export * from './packet-number.js';
export * from './header.js';
export * from './frames/index.js';
export * from './transport-params.js';
