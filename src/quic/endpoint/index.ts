/** The UDP endpoints over the sans-IO QUIC connection: server, client, sessions and streams. */
export { QuicServer, MIN_INITIAL_DATAGRAM, type ServerOptions, type ServerStats, type ConnectionHandler } from './server.js';
export { QuicClient, type ClientOptions } from './client.js';
export { QuicSession, QuicConnectionError, describeTermination, isCleanClose, transportErrorName } from './session.js';
export { QuicStream, DEFAULT_LOW_WATERMARK, type DataHandler, type CodeHandler } from './stream.js';
export type { EndpointStats, EndpointOptions } from './endpoint.js';
export { RetryTokens, type RetryTokenCheck } from './retry-token.js';
export { StatelessResetter, STATELESS_RESET_TOKEN_LENGTH, MIN_STATELESS_RESET_LENGTH } from './stateless-reset.js';
export { SOCKET_BUFFER_BYTES, formatAddress } from './udp.js';
export { nowUs } from './clock.js';
