/**
 * Entry point of our TLS 1.3 for QUIC: the handshake context the QUIC connection drives, its
 * alerts, and the certificate helpers a configuration needs.
 */
export {
  TlsContext,
  DEFAULT_CIPHER_SUITES,
  DEFAULT_GROUPS,
  EPOCHS,
  type Epoch,
  type SecretCallback,
  type TlsConfig,
} from './context.js';
export { TlsAlert, alertName } from './alerts.js';
export { AlertDescription } from './constants.js';
export { KeyLogLabel, keyLogLine } from './keylog.js';
export { CertificateError, parseCertificate, verifyChain, signatureSchemesFor, type Certificate } from './x509.js';
export { loadCertificates, parsePrivateKey } from './pem.js';
export { generateSelfSigned } from './certgen.js';
