/**
 * The TLS 1.3 handshake state machine for QUIC (RFC 8446 §4, RFC 9001 §4), client and server:
 * (EC)DHE handshakes authenticated by certificates, or resumed with a ticket's PSK (psk_dhe_ke,
 * RFC 8446 §2.2), optionally with 0-RTT: early data keys at epoch zeroRtt (RFC 9001 §4.6). No middlebox compatibility mode (RFC 9001 §8.4); the only
 * post-handshake message is the server's NewSessionTicket.
 *
 * Sans-IO like aioquic's tls.Context: the QUIC layer feeds the bytes of CRYPTO frames per epoch
 * with `receive`, drains the bytes to send per epoch with `takeOutput`, and gets traffic secrets
 * through `onSecret` as soon as they exist (RFC 9001 §4.1.4).
 */
import type {
  CipherSuite,
  CryptoProvider,
  KeyShare,
  NamedGroup,
  PrivateKey,
  SignatureScheme,
} from '../crypto/provider.js';
import {
  GROUP_SECP256R1,
  GROUP_X25519,
  SIG_ECDSA_SECP256R1_SHA256,
  SIG_ED25519,
  SIG_RSA_PKCS1_SHA256,
  SIG_RSA_PKCS1_SHA384,
  SIG_RSA_PSS_RSAE_SHA256,
  SIG_RSA_PSS_RSAE_SHA384,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  suiteParams,
} from '../crypto/provider.js';
import { TlsAlert } from './alerts.js';
import {
  AlertDescription,
  ExtensionType,
  HELLO_RETRY_REQUEST_RANDOM,
  HandshakeType,
  MAX_CERTIFICATE_CHAIN_LENGTH,
  TLS12_VERSION,
  TLS13_VERSION,
} from './constants.js';
import {
  ENCRYPTED_EXTENSIONS_ALLOWED,
  RECOGNIZED_EXTENSIONS,
  encodeAlpn,
  encodeCookie,
  encodeKeyShareClientHello,
  encodeKeyShareHelloRetryRequest,
  encodeKeyShareServerHello,
  encodeServerName,
  encodeSupportedVersionsClientHello,
  encodeSupportedVersionsServerHello,
  encodeU16List,
  findExtension,
  parseAlpn,
  parseCookie,
  parseKeyShareClientHello,
  parseKeyShareHelloRetryRequest,
  parseKeyShareServerHello,
  parseServerName,
  parseSupportedVersionsClientHello,
  parseSupportedVersionsServerHello,
  parseU16List,
  type Extension,
  type KeyShareEntry,
} from './extensions.js';
import { KeySchedule, Transcript, type TrafficSecrets } from './key-schedule.js';
import { KeyLogLabel, keyLogLine } from './keylog.js';
import {
  HandshakeReassembler,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeServerHello,
  parseCertificate as parseCertificateMessage,
  parseCertificateRequest,
  parseCertificateVerify,
  parseClientHello,
  parseEncryptedExtensions,
  parseFinished,
  encodeNewSessionTicket,
  parseNewSessionTicket,
  parseServerHello,
  type ClientHello,
  type HandshakeMessage,
} from './messages.js';
import {
  PSK_DHE_KE,
  encodeMaxEarlyData,
  encodeOfferedPsks,
  encodePskModes,
  encodeSelectedIdentity,
  parseMaxEarlyData,
  parseOfferedPsks,
  parsePskModes,
  parseSelectedIdentity,
} from './psk-extensions.js';
import { earlyDataParamsCompatible } from './early-data.js';
import { choosePsk, obfuscatedAge, sessionToOffer, writeBinder, type PskChoice } from './resumption.js';
import type { ClientSession, SessionCache } from './session.js';
import { DEFAULT_TICKET_LIFETIME_S, MAX_TICKET_LIFETIME_S, type SessionTicketKey } from './ticket.js';
import { bytesEqual, concatBytes } from './wire.js';
import { CertificateError, parseCertificate, signatureSchemesFor, verifyChain, type Certificate } from './x509.js';

export { TlsAlert } from './alerts.js';

/** QUIC encryption levels (RFC 9001 §4.1.4); CRYPTO frames never travel in 0-RTT packets. */
export type Epoch = 'initial' | 'zeroRtt' | 'handshake' | 'oneRtt';
export const EPOCHS: readonly Epoch[] = ['initial', 'zeroRtt', 'handshake', 'oneRtt'];

export type SecretCallback = (epoch: Epoch, direction: 'read' | 'write', suite: CipherSuite, secret: Uint8Array) => void;

export interface TlsConfig {
  isClient: boolean;
  provider: CryptoProvider;
  /**
   * Client: offered, most preferred first. Server: acceptable protocols, most preferred first;
   * the server picks (RFC 7301 §3.2) and no overlap is no_application_protocol.
   */
  alpnProtocols: string[];
  /** Client SNI and the name the server certificate must match; IP literals are not sent (RFC 6066 §3). */
  serverName?: string;
  /** Server: DER certificates, leaf first. */
  certificateChain?: Uint8Array[];
  /** Server: the leaf's private key. */
  privateKey?: PrivateKey;
  /** Client: the roots the server chain must lead to. */
  trustAnchors?: Certificate[];
  /** Client: skip chain and name verification (the CertificateVerify signature is still checked). */
  insecure?: boolean;
  /** Default: ChaCha20-Poly1305, AES-128-GCM, AES-256-GCM (the server's order is its preference). */
  cipherSuites?: CipherSuite[];
  /** Default: x25519, secp256r1. The client sends a key share for the first only. */
  groups?: NamedGroup[];
  /** Our quic_transport_parameters extension body, encoded by the caller (RFC 9001 §8.2). */
  transportParameters: Uint8Array;
  /** Receives NSS key log lines (SSLKEYLOGFILE format). */
  keyLog?: (line: string) => void;
  now?: () => Date;
  /** Client: sessions to resume, by server name; tickets the server sends are stored here. */
  sessionCache?: SessionCache;
  /** Server: the key sealing our tickets; without it we send no NewSessionTicket and resume nothing. */
  sessionTicketKey?: SessionTicketKey;
  /** Server: the ticket_lifetime we announce, in seconds (at most 604800, RFC 8446 §4.6.1). */
  ticketLifetimeS?: number;
  /**
   * Server: announce 0-RTT in our tickets and accept early data from clients resuming them
   * (RFC 9001 §4.6). See early-data.ts for what is checked, and for the replay caveat.
   */
  acceptEarlyData?: boolean;
  /**
   * Client: announce early data when resuming a ticket that allows it; the zeroRtt write secret
   * then comes before any server reply, and {@link TlsContext.acceptedEarlyData} tells the outcome.
   */
  offerEarlyData?: boolean;
}

/**
 * RFC 9001 §4.6.1: a QUIC ticket allowing 0-RTT has max_early_data_size 0xffffffff; any other
 * value is a protocol violation.
 */
const QUIC_MAX_EARLY_DATA = 0xffffffff;

/**
 * ChaCha20-Poly1305 first: our WebAssembly ChaCha20-Poly1305 protects a 1200-byte packet faster
 * than OpenSSL's AES-128-GCM through node:crypto, and allocates nothing per packet (bench/crypto.ts,
 * bench/alloc.ts). The AES suites stay offered and accepted for peers that do not do ChaCha20.
 * Initial packets use AES-128-GCM whatever is negotiated (RFC 9001 §5.2).
 */
export const DEFAULT_CIPHER_SUITES: readonly CipherSuite[] = [
  TLS_CHACHA20_POLY1305_SHA256,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
];
export const DEFAULT_GROUPS: readonly NamedGroup[] = [GROUP_X25519, GROUP_SECP256R1];

/** What the client offers in signature_algorithms; PKCS#1 only for certificate signatures (RFC 8446 §4.2.3). */
export const CLIENT_SIGNATURE_ALGORITHMS: readonly SignatureScheme[] = [
  SIG_ECDSA_SECP256R1_SHA256,
  SIG_ED25519,
  SIG_RSA_PSS_RSAE_SHA256,
  SIG_RSA_PSS_RSAE_SHA384,
  SIG_RSA_PKCS1_SHA256,
  SIG_RSA_PKCS1_SHA384,
];

const CERTIFICATE_VERIFY_SERVER_CONTEXT = new TextEncoder().encode('TLS 1.3, server CertificateVerify');

/** The content a server CertificateVerify signs: 64 spaces, the context string, 0, the hash (RFC 8446 §4.4.3). */
export function serverCertificateVerifyContent(transcriptHash: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array(64).fill(0x20), CERTIFICATE_VERIFY_SERVER_CONTEXT, Uint8Array.of(0), transcriptHash);
}

/** The handshake schemes a key can sign with (TLS 1.3 forbids PKCS#1 in CertificateVerify). */
function handshakeSchemesForKey(key: PrivateKey): SignatureScheme[] {
  switch (key.kind) {
    case 'ecdsa-p256': return [SIG_ECDSA_SECP256R1_SHA256];
    case 'ed25519': return [SIG_ED25519];
    case 'rsa': return [SIG_RSA_PSS_RSAE_SHA256, SIG_RSA_PSS_RSAE_SHA384];
  }
}

/** Wire length of a key share (RFC 8446 §4.2.8.2: uncompressed points only). */
function checkKeyShare(group: NamedGroup, keyExchange: Uint8Array): void {
  const ok = group === GROUP_X25519 ? keyExchange.length === 32 : keyExchange.length === 65 && keyExchange[0] === 4;
  if (!ok) throw new TlsAlert(AlertDescription.illegalParameter, `malformed key share for group ${group}`);
}

/** The alert a CertificateError carries, or `fallback` for any other error. */
function alertOf(e: unknown, fallback: number): number {
  return e instanceof CertificateError ? e.alert : fallback;
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

type State =
  | 'start'
  | 'clientWaitServerHello'
  | 'clientWaitEncryptedExtensions'
  | 'clientWaitCertificateOrRequest'
  | 'clientWaitCertificate'
  | 'clientWaitCertificateVerify'
  | 'clientWaitFinished'
  | 'serverWaitClientHello'
  | 'serverWaitFinished'
  | 'connected';

/** The epoch whose CRYPTO data each state reads. */
function expectedEpoch(state: State, isClient: boolean): Epoch | undefined {
  switch (state) {
    case 'start': return undefined;
    case 'clientWaitServerHello':
    case 'serverWaitClientHello': return 'initial';
    case 'connected': return isClient ? 'oneRtt' : undefined;
    default: return 'handshake';
  }
}

const utf8 = new TextDecoder();

export class TlsContext {
  private readonly config: TlsConfig;
  private readonly provider: CryptoProvider;
  private readonly cipherSuites: readonly CipherSuite[];
  private readonly groups: readonly NamedGroup[];
  private state: State;
  private failure: TlsAlert | undefined;
  private readonly input = new Map<Epoch, HandshakeReassembler>();
  private readonly output = new Map<Epoch, Uint8Array[]>();
  private readonly transcript: Transcript;
  private schedule: KeySchedule | undefined;
  private handshakeSecrets: TrafficSecrets | undefined;
  private applicationSecrets: TrafficSecrets | undefined;
  private clientRandom: Uint8Array = new Uint8Array(0);
  private complete = false;
  private hrr = false;
  private negotiatedSuite: CipherSuite | undefined;
  private negotiatedAlpn: string | undefined;
  private peerParams: Uint8Array | undefined;
  private peerCerts: Certificate[] = [];
  private peerServerName: string | undefined;
  private resumedSession = false;
  /** The resumption master secret, once both Finished are in the transcript (RFC 8446 §7.1). */
  private resumptionSecret: Uint8Array | undefined;

  // Client state.
  private keyShare: KeyShare | undefined;
  private clientHelloExtensionTypes = new Set<number>();
  private cookie: Uint8Array | undefined;
  private certificateRequestContext: Uint8Array | undefined;
  private offeredSession: ClientSession | undefined;

  // Server state.
  private hrrGroup: NamedGroup | undefined;
  private ticketsIssued = 0;
  /** The client listed psk_dhe_ke: only then are our tickets of use to it (RFC 8446 §4.2.9). */
  private clientWantsTickets = false;
  private earlyDataAccepted = false;
  /** Client: our ClientHello carried early_data (never after a HelloRetryRequest, RFC 8446 §4.2.10). */
  private offeredEarlyData = false;

  constructor(config: TlsConfig, private readonly onSecret: SecretCallback) {
    this.config = config;
    this.provider = config.provider;
    this.cipherSuites = config.cipherSuites ?? DEFAULT_CIPHER_SUITES;
    this.groups = config.groups ?? DEFAULT_GROUPS;
    if (this.cipherSuites.length === 0) throw new TypeError('TlsConfig.cipherSuites is empty');
    if (this.groups.length === 0) throw new TypeError('TlsConfig.groups is empty');
    if (!config.isClient && (!config.certificateChain?.length || !config.privateKey)) {
      throw new TypeError('a TLS server needs certificateChain and privateKey');
    }
    this.transcript = new Transcript(this.provider);
    this.state = config.isClient ? 'start' : 'serverWaitClientHello';
  }

  get handshakeComplete(): boolean {
    return this.complete;
  }

  get alpn(): string | undefined {
    return this.negotiatedAlpn;
  }

  get peerTransportParameters(): Uint8Array | undefined {
    return this.peerParams;
  }

  get cipherSuite(): CipherSuite | undefined {
    return this.negotiatedSuite;
  }

  get peerCertificates(): Certificate[] {
    return this.peerCerts;
  }

  /** True when the handshake used a ticket's PSK instead of certificates. */
  get resumed(): boolean {
    return this.resumedSession;
  }

  /** 0-RTT was accepted: by us (server), or by the server (client, known from EncryptedExtensions). */
  /**
   * Client: the session whose ticket this ClientHello offered with early_data, once start() ran;
   * its remembered transport parameters bound what 0-RTT may send (RFC 9000 §7.4.1).
   */
  get earlyDataSession(): ClientSession | undefined {
    return this.offeredEarlyData ? this.offeredSession : undefined;
  }

  get acceptedEarlyData(): boolean {
    return this.earlyDataAccepted;
  }

  get helloRetryRequested(): boolean {
    return this.hrr;
  }

  /** Server: the host name the client sent in server_name, if any. */
  get serverName(): string | undefined {
    return this.config.isClient ? this.config.serverName : this.peerServerName;
  }

  /** Client: queues the ClientHello (epoch initial). */
  start(): void {
    if (!this.config.isClient) throw new Error('TlsContext.start() is for clients');
    if (this.state !== 'start') throw new Error('TlsContext.start() called twice');
    this.clientRandom = this.provider.randomBytes(32);
    this.keyShare = this.provider.generateKeyShare(this.groups[0]!);
    this.offeredSession = sessionToOffer(this.config.sessionCache, this.config.serverName, this.config.alpnProtocols, this.cipherSuites, this.nowMs());
    this.sendClientHello();
    this.state = 'clientWaitServerHello';
  }

  /**
   * Handshake bytes received in CRYPTO frames at `epoch`, in stream order; partial messages are
   * buffered. Throws TlsAlert; after that the context stays failed and rethrows it.
   */
  receive(epoch: Epoch, data: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (data.length === 0) return;
    try {
      this.receiveUnchecked(epoch, data);
    } catch (e) {
      this.failure = e instanceof TlsAlert ? e : new TlsAlert(AlertDescription.internalError, String(e), { cause: e });
      throw this.failure;
    }
  }

  /** Drains the bytes to send at `epoch` (in CRYPTO frames of that epoch's packets). */
  takeOutput(epoch: Epoch): Uint8Array | undefined {
    const parts = this.output.get(epoch);
    if (!parts || parts.length === 0) return undefined;
    this.output.delete(epoch);
    return parts.length === 1 ? parts[0] : concatBytes(...parts);
  }

  private receiveUnchecked(epoch: Epoch, data: Uint8Array): void {
    if (expectedEpoch(this.state, this.config.isClient) !== epoch) {
      throw new TlsAlert(AlertDescription.unexpectedMessage, `handshake data at epoch ${epoch} in state ${this.state}`);
    }
    let reassembler = this.input.get(epoch);
    if (!reassembler) {
      reassembler = new HandshakeReassembler();
      this.input.set(epoch, reassembler);
    }
    reassembler.push(data);
    for (let message = reassembler.next(); message; message = reassembler.next()) {
      // RFC 9001 §4.1.3: a message must not straddle a key change, so the rest of this epoch's
      // data must have ended with the message that moved us to the next epoch.
      if (expectedEpoch(this.state, this.config.isClient) !== epoch) {
        throw new TlsAlert(AlertDescription.unexpectedMessage, `handshake message type ${message.type} after the ${epoch} keys were done`);
      }
      this.handleMessage(message);
    }
    if (reassembler.buffered > 0 && expectedEpoch(this.state, this.config.isClient) !== epoch) {
      throw new TlsAlert(AlertDescription.unexpectedMessage, `partial handshake message at ${epoch} across a key change`);
    }
  }

  private handleMessage(m: HandshakeMessage): void {
    const expect = (type: number): void => {
      if (m.type !== type) throw new TlsAlert(AlertDescription.unexpectedMessage, `handshake message type ${m.type} in state ${this.state}`);
    };
    switch (this.state) {
      case 'clientWaitServerHello':
        expect(HandshakeType.serverHello);
        return this.clientHandleServerHello(m);
      case 'clientWaitEncryptedExtensions':
        expect(HandshakeType.encryptedExtensions);
        return this.clientHandleEncryptedExtensions(m);
      case 'clientWaitCertificateOrRequest':
        if (m.type === HandshakeType.certificateRequest) return this.clientHandleCertificateRequest(m);
        expect(HandshakeType.certificate);
        return this.clientHandleCertificate(m);
      case 'clientWaitCertificate':
        expect(HandshakeType.certificate);
        return this.clientHandleCertificate(m);
      case 'clientWaitCertificateVerify':
        expect(HandshakeType.certificateVerify);
        return this.clientHandleCertificateVerify(m);
      case 'clientWaitFinished':
        expect(HandshakeType.finished);
        return this.clientHandleFinished(m);
      case 'serverWaitClientHello':
        expect(HandshakeType.clientHello);
        return this.serverHandleClientHello(m);
      case 'serverWaitFinished':
        expect(HandshakeType.finished);
        return this.serverHandleFinished(m);
      case 'connected':
        // Only the server's NewSessionTicket may follow; KeyUpdate is forbidden in QUIC (RFC 9001 §6).
        expect(HandshakeType.newSessionTicket);
        if (!this.config.isClient) throw new TlsAlert(AlertDescription.unexpectedMessage, 'NewSessionTicket from a client');
        return this.clientHandleNewSessionTicket(m);
      case 'start':
        throw new TlsAlert(AlertDescription.unexpectedMessage, 'handshake data before start()');
    }
  }

  private send(epoch: Epoch, message: Uint8Array): void {
    this.transcript.add(message);
    this.queue(epoch, message);
  }

  /** Output that is not part of the transcript (post-handshake messages, RFC 8446 §4.6). */
  private queue(epoch: Epoch, message: Uint8Array): void {
    const parts = this.output.get(epoch);
    if (parts) parts.push(message);
    else this.output.set(epoch, [message]);
  }

  private nowMs(): number {
    return (this.config.now?.() ?? new Date()).getTime();
  }

  private log(label: KeyLogLabel, secret: Uint8Array): void {
    this.config.keyLog?.(keyLogLine(label, this.clientRandom, secret));
  }

  private get suite(): CipherSuite {
    if (this.negotiatedSuite === undefined) throw new Error('no cipher suite yet');
    return this.negotiatedSuite;
  }

  private get keySchedule(): KeySchedule {
    if (!this.schedule) throw new Error('no key schedule yet');
    return this.schedule;
  }

  private transcriptHash(): Uint8Array {
    return this.transcript.hash(suiteParams(this.suite).hash);
  }

  private sharedSecret(group: NamedGroup, privateKey: Uint8Array, peer: Uint8Array): Uint8Array {
    checkKeyShare(group, peer);
    let shared: Uint8Array;
    try {
      shared = this.provider.sharedSecret(group, privateKey, peer);
    } catch (e) {
      throw new TlsAlert(AlertDescription.illegalParameter, `invalid key share for group ${group}`, { cause: e });
    }
    // RFC 8446 §7.4.2: an all-zero X25519 result means a small-order point.
    if (shared.every((b) => b === 0)) throw new TlsAlert(AlertDescription.illegalParameter, `degenerate key share for group ${group}`);
    return shared;
  }

  /**
   * RFC 8446 §4.2: a recognized extension not allowed in this message is illegal_parameter; an
   * extension we did not ask for is unsupported_extension.
   */
  private checkResponseExtensions(extensions: readonly Extension[], allowed: ReadonlySet<number>, what: string, alsoRequested?: number): void {
    for (const { type } of extensions) {
      if (!allowed.has(type)) {
        throw RECOGNIZED_EXTENSIONS.has(type)
          ? new TlsAlert(AlertDescription.illegalParameter, `extension ${type} not allowed in ${what}`)
          : new TlsAlert(AlertDescription.unsupportedExtension, `unrequested extension ${type} in ${what}`);
      }
      if (!this.clientHelloExtensionTypes.has(type) && type !== alsoRequested) {
        throw new TlsAlert(AlertDescription.unsupportedExtension, `unrequested extension ${type} in ${what}`);
      }
    }
  }

  // --- client --------------------------------------------------------------------------------

  private sendClientHello(): void {
    const keyShare = this.keyShare!;
    const extensions: Extension[] = [];
    const serverName = this.config.serverName;
    if (serverName !== undefined && serverName !== '' && !isIpLiteral(serverName)) {
      extensions.push({ type: ExtensionType.serverName, data: encodeServerName(serverName) });
    }
    extensions.push({ type: ExtensionType.supportedGroups, data: encodeU16List(this.groups) });
    extensions.push({ type: ExtensionType.signatureAlgorithms, data: encodeU16List(CLIENT_SIGNATURE_ALGORITHMS) });
    if (this.config.alpnProtocols.length > 0) {
      const protocols = this.config.alpnProtocols.map((p) => new TextEncoder().encode(p));
      extensions.push({ type: ExtensionType.applicationLayerProtocolNegotiation, data: encodeAlpn(protocols) });
    }
    extensions.push({ type: ExtensionType.keyShare, data: encodeKeyShareClientHello([{ group: keyShare.group, keyExchange: keyShare.publicKey }]) });
    extensions.push({ type: ExtensionType.supportedVersions, data: encodeSupportedVersionsClientHello([TLS13_VERSION]) });
    if (this.cookie) extensions.push({ type: ExtensionType.cookie, data: encodeCookie(this.cookie) });
    extensions.push({ type: ExtensionType.quicTransportParameters, data: this.config.transportParameters });
    const session = this.offeredSession;
    const binderLength = session ? suiteParams(session.suite).hashLength : 0;
    // RFC 8446 §4.2.10: never after a HelloRetryRequest; only with a ticket allowing it (RFC 9001 §4.6.1).
    const early = session !== undefined && this.config.offerEarlyData === true && !this.hrr && session.maxEarlyData === QUIC_MAX_EARLY_DATA;
    if (early) extensions.push({ type: ExtensionType.earlyData, data: new Uint8Array(0) });
    this.offeredEarlyData = early;
    // With a cache we want tickets: listing psk_dhe_ke tells the server so (RFC 8446 §4.2.9; Go's
    // TLS only derives a usable ticket for clients that list it).
    if (this.config.sessionCache) extensions.push({ type: ExtensionType.pskKeyExchangeModes, data: encodePskModes([PSK_DHE_KE]) });
    if (session) {
      // pre_shared_key goes last (RFC 8446 §4.2.11), with a placeholder binder patched below.
      const identity = { identity: session.ticket, obfuscatedTicketAge: obfuscatedAge(session, this.nowMs()) };
      extensions.push({ type: ExtensionType.preSharedKey, data: encodeOfferedPsks([identity], [new Uint8Array(binderLength)]) });
    }
    this.clientHelloExtensionTypes = new Set(extensions.map((e) => e.type));
    const hello = encodeClientHello({
      legacyVersion: TLS12_VERSION,
      random: this.clientRandom,
      legacySessionId: new Uint8Array(0), // RFC 9001 §8.4
      cipherSuites: [...this.cipherSuites],
      legacyCompressionMethods: Uint8Array.of(0),
      extensions,
    });
    if (session) {
      const schedule = new KeySchedule(this.provider, session.suite, session.psk);
      const hash = suiteParams(session.suite).hash;
      // After a HelloRetryRequest the transcript already holds message_hash(CH1) and the HRR (RFC 8446 §4.2.11.2).
      writeBinder(hello, binderLength, (truncated) => schedule.pskBinder(this.transcript.hash(hash, truncated)));
      this.send('initial', hello);
      if (early) {
        // Early data is protected under the PSK's suite (RFC 8446 §4.2.10), keyed by the ClientHello.
        const secret = schedule.clientEarlyTrafficSecret(this.transcript.hash(hash));
        this.onSecret('zeroRtt', 'write', session.suite, secret);
        this.log(KeyLogLabel.clientEarlyTrafficSecret, secret);
      }
      return;
    }
    this.send('initial', hello);
  }

  /** Checks shared by ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4). */
  private clientCheckServerHelloCommon(sh: ReturnType<typeof parseServerHello>, what: string): CipherSuite {
    const versionData = findExtension(sh.extensions, ExtensionType.supportedVersions);
    if (versionData === undefined) {
      // A TLS 1.2 (or older) answer: QUIC needs TLS 1.3 (RFC 9001 §4.2).
      throw new TlsAlert(AlertDescription.protocolVersion, `${what} without supported_versions`);
    }
    if (parseSupportedVersionsServerHello(versionData) !== TLS13_VERSION) {
      throw new TlsAlert(AlertDescription.illegalParameter, `${what} selected a version we did not offer`);
    }
    if (sh.legacyVersion !== TLS12_VERSION) throw new TlsAlert(AlertDescription.protocolVersion, `${what} legacy_version ${sh.legacyVersion}`);
    if (sh.legacySessionIdEcho.length !== 0) throw new TlsAlert(AlertDescription.illegalParameter, `${what} echoed a session id we did not send`);
    if (sh.legacyCompressionMethod !== 0) throw new TlsAlert(AlertDescription.illegalParameter, `${what} compression method ${sh.legacyCompressionMethod}`);
    const suite = this.cipherSuites.find((s) => s === sh.cipherSuite);
    if (suite === undefined) throw new TlsAlert(AlertDescription.illegalParameter, `${what} cipher suite ${sh.cipherSuite} was not offered`);
    if (this.hrr && suite !== this.negotiatedSuite) {
      throw new TlsAlert(AlertDescription.illegalParameter, `${what} cipher suite differs from the HelloRetryRequest's`);
    }
    return suite;
  }

  private clientHandleServerHello(m: HandshakeMessage): void {
    const sh = parseServerHello(m.body);
    if (bytesEqual(sh.random, HELLO_RETRY_REQUEST_RANDOM)) return this.clientHandleHelloRetryRequest(sh, m);
    const suite = this.clientCheckServerHelloCommon(sh, 'ServerHello');
    this.checkResponseExtensions(sh.extensions, new Set([ExtensionType.supportedVersions, ExtensionType.keyShare, ExtensionType.preSharedKey]), 'ServerHello');
    const shareData = findExtension(sh.extensions, ExtensionType.keyShare);
    if (shareData === undefined) throw new TlsAlert(AlertDescription.missingExtension, 'ServerHello without key_share');
    const share = parseKeyShareServerHello(shareData);
    const keyShare = this.keyShare!;
    if (share.group !== keyShare.group) throw new TlsAlert(AlertDescription.illegalParameter, `ServerHello key share for group ${share.group}, we sent ${keyShare.group}`);
    const shared = this.sharedSecret(keyShare.group, keyShare.privateKey, share.keyExchange);
    const psk = this.clientAcceptedPsk(sh.extensions, suite);

    this.negotiatedSuite = suite;
    this.transcript.add(m.raw);
    this.schedule = new KeySchedule(this.provider, suite, psk);
    const secrets = this.schedule.handshake(shared, this.transcriptHash());
    this.handshakeSecrets = secrets;
    this.onSecret('handshake', 'read', suite, secrets.server);
    this.onSecret('handshake', 'write', suite, secrets.client);
    this.log(KeyLogLabel.clientHandshakeTrafficSecret, secrets.client);
    this.log(KeyLogLabel.serverHandshakeTrafficSecret, secrets.server);
    this.state = 'clientWaitEncryptedExtensions';
  }

  /** The PSK when the ServerHello selected ours, after RFC 8446 §4.2.11's checks. */
  private clientAcceptedPsk(extensions: readonly Extension[], suite: CipherSuite): Uint8Array | undefined {
    const data = findExtension(extensions, ExtensionType.preSharedKey);
    if (data === undefined) return undefined;
    const session = this.offeredSession;
    const selected = parseSelectedIdentity(data);
    if (!session || selected !== 0) throw new TlsAlert(AlertDescription.illegalParameter, `ServerHello selected PSK identity ${selected}, not one we offered`);
    if (suiteParams(session.suite).hash !== suiteParams(suite).hash) {
      throw new TlsAlert(AlertDescription.illegalParameter, 'ServerHello cipher suite does not match the PSK hash');
    }
    this.resumedSession = true;
    return session.psk;
  }

  private clientHandleHelloRetryRequest(hrr: ReturnType<typeof parseServerHello>, m: HandshakeMessage): void {
    if (this.hrr) throw new TlsAlert(AlertDescription.unexpectedMessage, 'second HelloRetryRequest');
    const suite = this.clientCheckServerHelloCommon(hrr, 'HelloRetryRequest');
    // The cookie is the one extension a server may send unrequested (RFC 8446 §4.2).
    this.checkResponseExtensions(hrr.extensions, new Set([ExtensionType.supportedVersions, ExtensionType.keyShare, ExtensionType.cookie]), 'HelloRetryRequest', ExtensionType.cookie);
    const groupData = findExtension(hrr.extensions, ExtensionType.keyShare);
    const cookieData = findExtension(hrr.extensions, ExtensionType.cookie);
    let group: NamedGroup | undefined;
    if (groupData !== undefined) {
      const selected = parseKeyShareHelloRetryRequest(groupData);
      group = this.groups.find((g) => g === selected);
      // RFC 8446 §4.1.4: a group we did not offer, or the one we already sent a share for.
      if (group === undefined || group === this.keyShare!.group) {
        throw new TlsAlert(AlertDescription.illegalParameter, `HelloRetryRequest selected group ${selected}`);
      }
    }
    if (group === undefined && cookieData === undefined) {
      throw new TlsAlert(AlertDescription.illegalParameter, 'HelloRetryRequest would not change the ClientHello');
    }
    this.hrr = true;
    this.negotiatedSuite = suite;
    const hash = suiteParams(suite).hash;
    this.transcript.replaceWithMessageHash(hash);
    this.transcript.add(m.raw);
    if (group !== undefined) this.keyShare = this.provider.generateKeyShare(group);
    if (cookieData !== undefined) this.cookie = parseCookie(cookieData);
    // The PSK stays offered only if its hash is the one the retry selected (RFC 8446 §4.1.4).
    if (this.offeredSession && suiteParams(this.offeredSession.suite).hash !== hash) this.offeredSession = undefined;
    this.sendClientHello();
  }

  private clientHandleEncryptedExtensions(m: HandshakeMessage): void {
    const extensions = parseEncryptedExtensions(m.body);
    this.checkResponseExtensions(extensions, ENCRYPTED_EXTENSIONS_ALLOWED, 'EncryptedExtensions');
    const serverName = findExtension(extensions, ExtensionType.serverName);
    if (serverName !== undefined && serverName.length !== 0) {
      throw new TlsAlert(AlertDescription.decodeError, 'EncryptedExtensions server_name must be empty');
    }
    const alpnData = findExtension(extensions, ExtensionType.applicationLayerProtocolNegotiation);
    if (alpnData !== undefined) {
      const selected = parseAlpn(alpnData);
      const name = selected.length === 1 ? utf8.decode(selected[0]) : undefined;
      if (name === undefined || !this.config.alpnProtocols.includes(name)) {
        throw new TlsAlert(AlertDescription.illegalParameter, 'server selected an ALPN protocol we did not offer');
      }
      this.negotiatedAlpn = name;
    } else if (this.config.alpnProtocols.length > 0) {
      // RFC 9001 §8.1: QUIC requires an application protocol to be negotiated.
      throw new TlsAlert(AlertDescription.noApplicationProtocol, 'server selected no ALPN protocol');
    }
    const params = findExtension(extensions, ExtensionType.quicTransportParameters);
    if (params === undefined) throw new TlsAlert(AlertDescription.missingExtension, 'no quic_transport_parameters from the server');
    const earlyData = findExtension(extensions, ExtensionType.earlyData);
    if (earlyData !== undefined) {
      // Only offered with a PSK, and only acceptable with that PSK selected (RFC 8446 §4.2.10).
      if (earlyData.length !== 0) throw new TlsAlert(AlertDescription.decodeError, 'EncryptedExtensions early_data is not empty');
      if (!this.resumedSession) throw new TlsAlert(AlertDescription.illegalParameter, 'early data accepted without resumption');
      this.earlyDataAccepted = true;
    }
    this.peerParams = params.slice();
    this.transcript.add(m.raw);
    // RFC 8446 §2.2: a PSK handshake has no Certificate, CertificateVerify or CertificateRequest.
    this.state = this.resumedSession ? 'clientWaitFinished' : 'clientWaitCertificateOrRequest';
  }

  private clientHandleCertificateRequest(m: HandshakeMessage): void {
    const request = parseCertificateRequest(m.body);
    // RFC 8446 §4.3.2: empty in the main handshake.
    if (request.context.length !== 0) throw new TlsAlert(AlertDescription.illegalParameter, 'CertificateRequest context must be empty');
    if (findExtension(request.extensions, ExtensionType.signatureAlgorithms) === undefined) {
      throw new TlsAlert(AlertDescription.missingExtension, 'CertificateRequest without signature_algorithms');
    }
    this.certificateRequestContext = request.context.slice();
    this.transcript.add(m.raw);
    this.state = 'clientWaitCertificate';
  }

  private clientHandleCertificate(m: HandshakeMessage): void {
    const message = parseCertificateMessage(m.body, MAX_CERTIFICATE_CHAIN_LENGTH);
    if (message.context.length !== 0) throw new TlsAlert(AlertDescription.illegalParameter, 'server Certificate with a request context');
    // RFC 8446 §4.4.2.4: an empty server Certificate is decode_error.
    if (message.entries.length === 0) throw new TlsAlert(AlertDescription.decodeError, 'server sent no certificate');
    for (const entry of message.entries) {
      // We request no per-certificate extensions (status_request, SCT).
      if (entry.extensions.length !== 0) throw new TlsAlert(AlertDescription.unsupportedExtension, 'unrequested CertificateEntry extension');
    }
    const chain: Certificate[] = [];
    for (const entry of message.entries) {
      try {
        chain.push(parseCertificate(entry.data.slice()));
      } catch (e) {
        throw new TlsAlert(alertOf(e, AlertDescription.badCertificate), `unparsable certificate: ${String(e)}`, { cause: e });
      }
    }
    if (!this.config.insecure) {
      try {
        verifyChain(this.provider, chain, {
          trustAnchors: this.config.trustAnchors ?? [],
          serverName: this.config.serverName,
          now: this.config.now?.() ?? new Date(),
        });
      } catch (e) {
        throw new TlsAlert(alertOf(e, AlertDescription.badCertificate), `certificate verification failed: ${String(e)}`, { cause: e });
      }
    }
    this.peerCerts = chain;
    this.transcript.add(m.raw);
    this.state = 'clientWaitCertificateVerify';
  }

  private clientHandleCertificateVerify(m: HandshakeMessage): void {
    const cv = parseCertificateVerify(m.body);
    const leaf = this.peerCerts[0]!;
    const scheme = cv.scheme as SignatureScheme;
    const offered = CLIENT_SIGNATURE_ALGORITHMS.includes(scheme) && scheme !== SIG_RSA_PKCS1_SHA256 && scheme !== SIG_RSA_PKCS1_SHA384;
    if (!offered || !signatureSchemesFor(leaf.publicKey).includes(scheme)) {
      throw new TlsAlert(AlertDescription.illegalParameter, `CertificateVerify with scheme 0x${cv.scheme.toString(16)}`);
    }
    const content = serverCertificateVerifyContent(this.transcriptHash());
    let valid: boolean;
    try {
      valid = this.provider.verify(scheme, leaf.publicKey, content, cv.signature);
    } catch (e) {
      throw new TlsAlert(AlertDescription.badCertificate, `cannot verify with the server key: ${String(e)}`, { cause: e });
    }
    if (!valid) throw new TlsAlert(AlertDescription.decryptError, 'CertificateVerify signature does not verify');
    this.transcript.add(m.raw);
    this.state = 'clientWaitFinished';
  }

  private clientHandleFinished(m: HandshakeMessage): void {
    const schedule = this.keySchedule;
    const hs = this.handshakeSecrets!;
    const verifyData = parseFinished(m.body, schedule.hashLength);
    if (!bytesEqual(verifyData, schedule.finishedVerifyData(hs.server, this.transcriptHash()))) {
      throw new TlsAlert(AlertDescription.decryptError, 'server Finished does not verify');
    }
    this.transcript.add(m.raw);
    const app = schedule.master(this.transcriptHash());
    this.applicationSecrets = app;
    this.onSecret('oneRtt', 'read', this.suite, app.server);
    this.log(KeyLogLabel.clientTrafficSecret0, app.client);
    this.log(KeyLogLabel.serverTrafficSecret0, app.server);
    if (this.certificateRequestContext) {
      // No client certificates: answer a request with an empty Certificate and no CertificateVerify (RFC 8446 §4.4.2).
      this.send('handshake', encodeCertificate({ context: this.certificateRequestContext, entries: [] }));
    }
    this.send('handshake', encodeFinished(schedule.finishedVerifyData(hs.client, this.transcriptHash())));
    if (this.config.sessionCache) this.resumptionSecret = schedule.resumptionMasterSecret(this.transcriptHash());
    this.onSecret('oneRtt', 'write', this.suite, app.client);
    this.complete = true;
    this.state = 'connected';
  }

  /** Validates a ticket and, with a session cache, keeps it (RFC 8446 §4.6.1, RFC 9001 §4.6.1). */
  private clientHandleNewSessionTicket(m: HandshakeMessage): void {
    const nst = parseNewSessionTicket(m.body);
    const earlyData = findExtension(nst.extensions, ExtensionType.earlyData);
    const maxEarlyData = earlyData === undefined ? 0 : parseMaxEarlyData(earlyData);
    if (earlyData !== undefined && maxEarlyData !== QUIC_MAX_EARLY_DATA) {
      throw new TlsAlert(AlertDescription.illegalParameter, `NewSessionTicket max_early_data_size ${maxEarlyData} (QUIC requires 0xffffffff)`);
    }
    if (nst.ticketLifetime > MAX_TICKET_LIFETIME_S) {
      throw new TlsAlert(AlertDescription.illegalParameter, `NewSessionTicket lifetime ${nst.ticketLifetime} s exceeds seven days`);
    }
    const cache = this.config.sessionCache;
    const serverName = this.config.serverName;
    // A zero lifetime means "discard at once" (RFC 8446 §4.6.1).
    if (!cache || serverName === undefined || nst.ticketLifetime === 0 || !this.resumptionSecret) return;
    cache.set(serverName, {
      serverName,
      alpn: this.negotiatedAlpn,
      suite: this.suite,
      psk: this.keySchedule.resumptionPsk(this.resumptionSecret, nst.ticketNonce),
      ticket: nst.ticket.slice(),
      lifetimeS: nst.ticketLifetime,
      ageAdd: nst.ticketAgeAdd,
      receivedAtMs: this.nowMs(),
      maxEarlyData,
      transportParameters: this.peerParams?.slice() ?? new Uint8Array(0),
    });
  }

  // --- server --------------------------------------------------------------------------------

  private serverHandleClientHello(m: HandshakeMessage): void {
    const ch = parseClientHello(m.body);
    const offer = this.serverNegotiate(ch);

    if (offer.share === undefined) {
      // RFC 8446 §4.1.4: ask for a share in a group we both support, once.
      if (this.hrr) throw new TlsAlert(AlertDescription.illegalParameter, 'second ClientHello without the requested key share');
      this.hrr = true;
      this.hrrGroup = offer.group;
      this.negotiatedSuite = offer.suite;
      this.transcript.add(m.raw);
      this.transcript.replaceWithMessageHash(suiteParams(offer.suite).hash);
      this.send(
        'initial',
        encodeServerHello({
          legacyVersion: TLS12_VERSION,
          random: HELLO_RETRY_REQUEST_RANDOM,
          legacySessionIdEcho: ch.legacySessionId,
          cipherSuite: offer.suite,
          legacyCompressionMethod: 0,
          extensions: [
            { type: ExtensionType.supportedVersions, data: encodeSupportedVersionsServerHello(TLS13_VERSION) },
            { type: ExtensionType.keyShare, data: encodeKeyShareHelloRetryRequest(offer.group) },
          ],
        }),
      );
      return;
    }
    if (this.hrr && (offer.suite !== this.negotiatedSuite || offer.group !== this.hrrGroup)) {
      throw new TlsAlert(AlertDescription.illegalParameter, 'second ClientHello does not follow the HelloRetryRequest');
    }

    const suite = offer.suite;
    const ours = this.provider.generateKeyShare(offer.group);
    const shared = this.sharedSecret(offer.group, ours.privateKey, offer.share.keyExchange);
    const psk = this.serverChoosePsk(ch, m.raw, suite, offer.alpn, offer.serverName);
    const modesData = findExtension(ch.extensions, ExtensionType.pskKeyExchangeModes);
    this.clientWantsTickets = modesData !== undefined && parsePskModes(modesData).includes(PSK_DHE_KE);
    this.resumedSession = psk !== undefined;
    this.negotiatedSuite = suite;
    this.negotiatedAlpn = offer.alpn;
    this.peerParams = offer.transportParameters.slice();
    this.peerServerName = offer.serverName;
    this.clientRandom = ch.random.slice();
    this.transcript.add(m.raw);
    this.earlyDataAccepted = this.serverAcceptsEarlyData(ch, psk, suite, offer.alpn);
    if (this.earlyDataAccepted) {
      // The client's 0-RTT packets are protected with this secret (RFC 9001 §5.1); we only read them.
      const early = psk!.schedule.clientEarlyTrafficSecret(this.transcriptHash());
      this.onSecret('zeroRtt', 'read', suite, early);
      this.log(KeyLogLabel.clientEarlyTrafficSecret, early);
    }
    const helloExtensions: Extension[] = [
      { type: ExtensionType.supportedVersions, data: encodeSupportedVersionsServerHello(TLS13_VERSION) },
      { type: ExtensionType.keyShare, data: encodeKeyShareServerHello({ group: offer.group, keyExchange: ours.publicKey }) },
    ];
    if (psk) helloExtensions.push({ type: ExtensionType.preSharedKey, data: encodeSelectedIdentity(psk.index) });

    this.send(
      'initial',
      encodeServerHello({
        legacyVersion: TLS12_VERSION,
        random: this.provider.randomBytes(32),
        legacySessionIdEcho: ch.legacySessionId,
        cipherSuite: suite,
        legacyCompressionMethod: 0,
        extensions: helloExtensions,
      }),
    );
    this.schedule = psk?.schedule ?? new KeySchedule(this.provider, suite);
    const hs = this.schedule.handshake(shared, this.transcriptHash());
    this.handshakeSecrets = hs;
    this.onSecret('handshake', 'write', suite, hs.server);
    this.onSecret('handshake', 'read', suite, hs.client);
    this.log(KeyLogLabel.clientHandshakeTrafficSecret, hs.client);
    this.log(KeyLogLabel.serverHandshakeTrafficSecret, hs.server);

    const ee: Extension[] = [];
    if (offer.alpn !== undefined) {
      ee.push({ type: ExtensionType.applicationLayerProtocolNegotiation, data: encodeAlpn([new TextEncoder().encode(offer.alpn)]) });
    }
    ee.push({ type: ExtensionType.quicTransportParameters, data: this.config.transportParameters });
    if (this.earlyDataAccepted) ee.push({ type: ExtensionType.earlyData, data: new Uint8Array(0) }); // RFC 8446 §4.2.10
    this.send('handshake', encodeEncryptedExtensions(ee));
    if (!psk) {
      this.send(
        'handshake',
        encodeCertificate({ context: new Uint8Array(0), entries: this.config.certificateChain!.map((data) => ({ data, extensions: [] })) }),
      );
      const signature = this.provider.sign(offer.signatureScheme, this.config.privateKey!, serverCertificateVerifyContent(this.transcriptHash()));
      this.send('handshake', encodeCertificateVerify({ scheme: offer.signatureScheme, signature }));
    }
    this.send('handshake', encodeFinished(this.schedule.finishedVerifyData(hs.server, this.transcriptHash())));

    // RFC 9001 §4.1.1: the server may send 1-RTT data now; it reads 1-RTT only after the client's Finished.
    const app = this.schedule.master(this.transcriptHash());
    this.applicationSecrets = app;
    this.onSecret('oneRtt', 'write', suite, app.server);
    this.log(KeyLogLabel.clientTrafficSecret0, app.client);
    this.log(KeyLogLabel.serverTrafficSecret0, app.server);
    this.state = 'serverWaitFinished';
  }

  /**
   * The offered ticket we resume, if any. Checked before the ClientHello joins the transcript:
   * its binder covers the messages before it and the hello up to the binders (RFC 8446 §4.2.11.2).
   */
  private serverChoosePsk(ch: ClientHello, raw: Uint8Array, suite: CipherSuite, alpn: string | undefined, serverName: string | undefined): PskChoice | undefined {
    const data = findExtension(ch.extensions, ExtensionType.preSharedKey);
    if (data === undefined) return undefined;
    const modesData = findExtension(ch.extensions, ExtensionType.pskKeyExchangeModes);
    // RFC 8446 §4.2.9: a PSK offered without psk_key_exchange_modes aborts the handshake.
    if (modesData === undefined) throw new TlsAlert(AlertDescription.missingExtension, 'pre_shared_key without psk_key_exchange_modes');
    const modes = parsePskModes(modesData);
    const offered = parseOfferedPsks(data);
    const key = this.config.sessionTicketKey;
    if (!key || !modes.includes(PSK_DHE_KE)) return undefined;
    const truncated = raw.subarray(0, raw.length - offered.bindersLength);
    return choosePsk({
      provider: this.provider,
      key,
      offered,
      suite,
      alpn,
      serverName,
      nowMs: this.nowMs(),
      truncatedHelloHash: () => this.transcript.hash(suiteParams(suite).hash, truncated),
    });
  }

  /**
   * Whether to accept the early data a ClientHello announces (RFC 8446 §4.2.10, RFC 9001 §4.6.2):
   * resuming the first PSK offered, a ticket that allowed 0-RTT, the same suite and ALPN, no
   * HelloRetryRequest, and transport parameters that still allow what the ticket's did.
   */
  private serverAcceptsEarlyData(ch: ClientHello, psk: PskChoice | undefined, suite: CipherSuite, alpn: string | undefined): boolean {
    const data = findExtension(ch.extensions, ExtensionType.earlyData);
    if (data === undefined) return false;
    if (data.length !== 0) throw new TlsAlert(AlertDescription.decodeError, 'ClientHello early_data is not empty');
    if (!this.config.acceptEarlyData || !psk || this.hrr || psk.index !== 0) return false;
    const t = psk.state;
    return t.maxEarlyData === QUIC_MAX_EARLY_DATA && t.suite === suite && t.alpn === alpn && earlyDataParamsCompatible(t.transportParameters, this.config.transportParameters);
  }

  /** Sends one NewSessionTicket at 1-RTT (RFC 8446 §4.6.1, RFC 9001 §4.1.3). */
  private issueTicket(): void {
    const key = this.config.sessionTicketKey;
    if (!key || !this.resumptionSecret || !this.clientWantsTickets) return;
    const lifetimeS = Math.min(this.config.ticketLifetimeS ?? DEFAULT_TICKET_LIFETIME_S, MAX_TICKET_LIFETIME_S);
    // Distinct nonces give distinct PSKs for the tickets of one connection.
    const nonce = Uint8Array.of(this.ticketsIssued++ & 0xff);
    const r = this.provider.randomBytes(4);
    const ageAdd = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
    const ticket = key.seal(this.provider, {
      suite: this.suite,
      psk: this.keySchedule.resumptionPsk(this.resumptionSecret, nonce),
      issuedAtMs: this.nowMs(),
      lifetimeS,
      ageAdd,
      maxEarlyData: this.config.acceptEarlyData ? QUIC_MAX_EARLY_DATA : 0,
      alpn: this.negotiatedAlpn,
      serverName: this.peerServerName,
      transportParameters: this.config.transportParameters,
    });
    // early_data announces 0-RTT, with the only size QUIC allows (RFC 9001 §4.6.1).
    const extensions = this.config.acceptEarlyData ? [{ type: ExtensionType.earlyData, data: encodeMaxEarlyData(QUIC_MAX_EARLY_DATA) }] : [];
    this.queue('oneRtt', encodeNewSessionTicket({ ticketLifetime: lifetimeS, ticketAgeAdd: ageAdd, ticketNonce: nonce, ticket, extensions }));
  }

  /** Validates a ClientHello and makes the server's choices (RFC 8446 §4.1.1, §4.2). */
  private serverNegotiate(ch: ClientHello): {
    suite: CipherSuite;
    group: NamedGroup;
    share: KeyShareEntry | undefined;
    signatureScheme: SignatureScheme;
    alpn: string | undefined;
    transportParameters: Uint8Array;
    serverName: string | undefined;
  } {
    const ext = (type: number): Uint8Array | undefined => findExtension(ch.extensions, type);

    const versions = ext(ExtensionType.supportedVersions);
    if (versions === undefined || !parseSupportedVersionsClientHello(versions).includes(TLS13_VERSION)) {
      throw new TlsAlert(AlertDescription.protocolVersion, 'client does not offer TLS 1.3');
    }
    if (ch.legacyCompressionMethods.length !== 1 || ch.legacyCompressionMethods[0] !== 0) {
      throw new TlsAlert(AlertDescription.illegalParameter, 'legacy_compression_methods must be [null]');
    }
    // RFC 9001 §8.4 (no middlebox compatibility mode in QUIC).
    if (ch.legacySessionId.length !== 0) throw new TlsAlert(AlertDescription.illegalParameter, 'non-empty legacy_session_id');
    const pskIndex = ch.extensions.findIndex((e) => e.type === ExtensionType.preSharedKey);
    if (pskIndex >= 0 && pskIndex !== ch.extensions.length - 1) {
      throw new TlsAlert(AlertDescription.illegalParameter, 'pre_shared_key is not the last extension');
    }

    const transportParameters = ext(ExtensionType.quicTransportParameters);
    if (transportParameters === undefined) throw new TlsAlert(AlertDescription.missingExtension, 'no quic_transport_parameters from the client');

    const serverNameData = ext(ExtensionType.serverName);
    const serverName = serverNameData === undefined ? undefined : parseServerName(serverNameData);

    const suite = this.cipherSuites.find((s) => ch.cipherSuites.includes(s));
    if (suite === undefined) throw new TlsAlert(AlertDescription.handshakeFailure, 'no cipher suite in common');

    const sigAlgsData = ext(ExtensionType.signatureAlgorithms);
    if (sigAlgsData === undefined) throw new TlsAlert(AlertDescription.missingExtension, 'no signature_algorithms');
    const ourSchemes = handshakeSchemesForKey(this.config.privateKey!);
    const signatureScheme = parseU16List(sigAlgsData, 'signature_algorithms').find((s): s is SignatureScheme => ourSchemes.includes(s as SignatureScheme));
    if (signatureScheme === undefined) throw new TlsAlert(AlertDescription.handshakeFailure, 'no signature scheme in common');

    // RFC 8446 §9.2: key_share and supported_groups come together when there is no PSK.
    const groupsData = ext(ExtensionType.supportedGroups);
    const sharesData = ext(ExtensionType.keyShare);
    if (groupsData === undefined || sharesData === undefined) {
      throw new TlsAlert(AlertDescription.missingExtension, 'ClientHello needs supported_groups and key_share');
    }
    const clientGroups = parseU16List(groupsData, 'supported_groups');
    const shares = parseKeyShareClientHello(sharesData);
    const seen = new Set<number>();
    for (const s of shares) {
      // RFC 8446 §4.2.8: one share per group, each in supported_groups.
      if (seen.has(s.group) || !clientGroups.includes(s.group)) {
        throw new TlsAlert(AlertDescription.illegalParameter, `key share for group ${s.group} is repeated or not in supported_groups`);
      }
      seen.add(s.group);
    }
    let group: NamedGroup | undefined;
    let share: KeyShareEntry | undefined;
    for (const g of this.groups) {
      share = shares.find((s) => s.group === g);
      if (share) {
        group = g;
        break;
      }
    }
    if (group === undefined) {
      group = this.groups.find((g) => clientGroups.includes(g));
      if (group === undefined) throw new TlsAlert(AlertDescription.handshakeFailure, 'no key exchange group in common');
    }

    let alpn: string | undefined;
    const alpnData = ext(ExtensionType.applicationLayerProtocolNegotiation);
    if (alpnData !== undefined) {
      const offered = parseAlpn(alpnData).map((p) => utf8.decode(p));
      alpn = this.config.alpnProtocols.find((p) => offered.includes(p));
      if (alpn === undefined) throw new TlsAlert(AlertDescription.noApplicationProtocol, `no ALPN protocol in common (client offered ${offered.join(', ')})`);
    } else if (this.config.alpnProtocols.length > 0) {
      throw new TlsAlert(AlertDescription.noApplicationProtocol, 'client offered no ALPN protocol'); // RFC 9001 §8.1
    }

    return { suite, group, share, signatureScheme, alpn, transportParameters, serverName };
  }

  private serverHandleFinished(m: HandshakeMessage): void {
    const schedule = this.keySchedule;
    const verifyData = parseFinished(m.body, schedule.hashLength);
    if (!bytesEqual(verifyData, schedule.finishedVerifyData(this.handshakeSecrets!.client, this.transcriptHash()))) {
      throw new TlsAlert(AlertDescription.decryptError, 'client Finished does not verify');
    }
    this.transcript.add(m.raw);
    this.onSecret('oneRtt', 'read', this.suite, this.applicationSecrets!.client);
    this.complete = true;
    this.state = 'connected';
    if (this.config.sessionTicketKey) {
      this.resumptionSecret = schedule.resumptionMasterSecret(this.transcriptHash());
      this.issueTicket();
    }
  }
}
