/** HTTP/0.9 over QUIC (hq-interop): server and client applications. */
export { HQ_ALPN, HqError, hqErrorName, SYNTHETIC_PREFIX } from './constants.js';
export { HqServer, type HqServerOptions, type HqServerStats } from './server.js';
export { hqFetch, type HqRequest, type HqResult, type HqFetchOptions } from './client.js';
export { FileSink, StdoutSink, DiscardSink, DigestSink, type BodySink } from './sinks.js';
export { syntheticChunk, forEachSyntheticChunk, parseSyntheticPath, syntheticPath, SYNTHETIC_PERIOD } from './synthetic.js';
export { parseRequestLine, resolveRequestPath } from './request.js';
