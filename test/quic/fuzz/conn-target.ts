/**
 * The live-connection fuzz target (`conn`): an in-memory client/server pair
 * (test/quic/connection/harness.ts) completes its handshake and opens streams; then one side's
 * next 1-RTT packets have their plaintext replaced by mutated frames (conn-mutations.ts) just
 * before protection, through the `finalize_and_protect_packet` protoop (PQUIC's hook for
 * exactly this: the packet's frames, then the sender's own keys protect them). So the other
 * side's frame processing sees garbage behind valid packet protection (RFC 9001 §5).
 *
 * Contract for the receiver: nothing escapes its API; every exchange settles within a bounded
 * number of steps and of virtual time; and either it closes with a CONNECTION_CLOSE whose
 * transport error code is valid (RFC 9000 §20.1; never INTERNAL_ERROR, which the connection uses
 * for an exception of its own) and equal to the code the broken rule calls for when the first
 * mutation is a crafted one, or the connection still carries a new stream both ways.
 */
import { NO_PARAM } from '../../../src/quic/protoop/names.js';
import type { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { QuicEvent } from '../../../src/quic/events.js';
import { concatBytes } from '../../../src/quic/wire/bytes.js';
import { TransportErrorCode, isCryptoError, transportErrorName } from '../../../src/quic/wire/errors.js';
import { handshake, makePair, roundtrip, runFor, runUntil, type Pair } from '../connection/harness.js';
import type { Prng } from '../wire/prng.js';
import { type PayloadMutation, type StreamSetup, pickMutation } from './conn-mutations.js';
import { ContractViolation, type FuzzCase, type FuzzTarget, ensure } from './runner.js';

/** Codes a receiver may close with after bad frames: RFC 9000 §20.1 (and the CRYPTO_ERROR range). */
function isValidCloseCode(code: number): boolean {
  if (isCryptoError(code)) return true;
  return code >= TransportErrorCode.CONNECTION_REFUSED && code <= TransportErrorCode.VERSION_NEGOTIATION_ERROR;
}

type Terminated = Extract<QuicEvent, { type: 'connection_terminated' }>;
const terminated = (events: QuicEvent[]): Terminated | undefined =>
  events.find((e): e is Terminated => e.type === 'connection_terminated');

function received(events: QuicEvent[], id: number): { bytes: number; fin: boolean } {
  let bytes = 0;
  let fin = false;
  for (const e of events) {
    if (e.type === 'stream_data' && e.streamId === id) {
      bytes += e.data.length;
      fin ||= e.fin;
    }
  }
  return { bytes, fin };
}

/** Steps of the harness (one exchange each way) a phase may take before it counts as a hang. */
const MAX_STEPS = 400;

interface Applied {
  mutation: PayloadMutation;
  plaintext: Uint8Array;
  victimOpen: boolean;
}

/** Handshake, then streams both ways whose ids the crafted frames refer to. */
function setUp(pair: Pair, victimIsClient: boolean): { victim: QuicConnection; sender: QuicConnection; setup: StreamSetup } {
  handshake(pair);
  const victim = victimIsClient ? pair.client : pair.server!;
  const sender = victimIsClient ? pair.server! : pair.client;
  const victimEvents = victimIsClient ? pair.clientEvents : pair.serverEvents;
  const delivered = 1000;
  const senderBidi = sender.createStream(true);
  sender.sendStreamData(senderBidi, new Uint8Array(delivered).fill(0x61), false);
  const senderUni = sender.createStream(false);
  sender.sendStreamData(senderUni, new Uint8Array(100).fill(0x62), false);
  const victimUni = victim.createStream(false);
  victim.sendStreamData(victimUni, new Uint8Array(50).fill(0x63), false);
  const ready = runUntil(pair, () => received(victimEvents, senderBidi).bytes === delivered && received(victimEvents, senderUni).bytes === 100, { maxSteps: MAX_STEPS });
  if (!ready) throw new ContractViolation('set-up: stream data was not delivered before any mutation');
  return { victim, sender, setup: { victimIsClient, senderBidi, senderUni, victimUni, delivered } };
}

function connCase(rng: Prng): FuzzCase {
  const victimIsClient = rng.chance(0.5);
  const count = 1 + rng.int(3);
  const applied: Applied[] = [];
  const plan: string[] = [];
  const c: FuzzCase = {
    get input() {
      return concatBytes(...applied.map((a) => a.plaintext));
    },
    get desc() {
      const done = applied.map((a, i) => `#${i} ${a.mutation.desc} -> ${a.plaintext.length} B plaintext${a.victimOpen ? '' : ' (receiver already closing)'}`);
      return `receiver ${victimIsClient ? 'client' : 'server'}; ${done.join('; ') || `nothing applied of: ${plan.join('; ')}`}`;
    },
    check: () => {
      const pair = makePair();
      const { victim, sender, setup } = setUp(pair, victimIsClient);
      const victimEvents = victimIsClient ? pair.clientEvents : pair.serverEvents;
      const senderEvents = victimIsClient ? pair.serverEvents : pair.clientEvents;
      const mutations = Array.from({ length: count }, () => pickMutation(rng, setup));
      plan.push(...mutations.map((m) => m.desc));
      sender.protoops.attach('finalize_and_protect_packet', NO_PARAM, 'replace', {
        owner: 'fuzz-conn',
        fn: (call) => {
          const buf = call.args[2] as Uint8Array;
          const used = call.args[3] as number;
          const m = mutations[applied.length];
          if (m === undefined) return used;
          const original = buf.slice(0, used);
          const out = m.apply(original, buf.length);
          // A crafted frame larger than this packet's room waits for a roomier packet.
          if (out.length < used || out.length > buf.length) return used;
          buf.set(out);
          applied.push({ mutation: m, plaintext: out.slice(), victimOpen: victim.state === 'connected' });
          return out.length;
        },
      });
      // One ack-eliciting packet per mutation; each is delivered before the next is made.
      for (let i = 0; i < count && !sender.isClosed; i++) {
        const before = applied.length;
        if (sender.state === 'connected') sender.ping();
        const sent = runUntil(pair, () => applied.length > before || victim.state !== 'connected' || sender.state !== 'connected', { maxSteps: MAX_STEPS });
        ensure(sent, `mutation ${i}: no 1-RTT packet left the sender in ${MAX_STEPS} steps`);
        roundtrip(pair);
      }
      // Let CONNECTION_CLOSE (RFC 9000 §10.2) reach the other side: 300 ms of virtual time.
      runFor(pair, 300_000);
      for (const [who, events] of [['receiver', victimEvents], ['sender', senderEvents]] as const) {
        const t = terminated(events);
        ensure(!(t && t.cause === 'internal_error'), `${who} closed with an internal error: ${t?.reason}`);
        if (t && !t.byPeer && !t.application && t.cause !== 'idle_timeout') {
          ensure(isValidCloseCode(t.errorCode), `${who} closed with ${transportErrorName(t.errorCode)}, not a code for bad frames (${t.reason})`);
        }
      }
      const closed = terminated(victimEvents);
      const first = applied[0];
      if (first?.mutation.expected !== undefined) {
        const want = first.mutation.expected;
        ensure(closed !== undefined && !closed.byPeer, `${first.mutation.desc}: expected ${transportErrorName(want)}, but the receiver ${closed ? `was closed by its peer (${closed.reason})` : 'stayed open'}`);
        ensure(closed!.errorCode === want, `${first.mutation.desc}: expected ${transportErrorName(want)}, got ${transportErrorName(closed!.errorCode)} (${closed!.reason})`);
        const ft = first.mutation.frameType;
        ensure(closed!.frameType === ft, `${first.mutation.desc}: CONNECTION_CLOSE names frame type ${closed!.frameType}, not 0x${ft?.toString(16)}`);
        return `crafted ${transportErrorName(want)}`;
      }
      if (closed) return closed.byPeer ? `closed by peer (${closed.cause})` : `closed ${transportErrorName(closed.errorCode)}`;
      if (terminated(senderEvents)) return 'sender closed';
      if (applied.length === 0) return 'nothing applied';
      // Still open on both sides: it must still carry a new stream from the receiver (RFC 9000 §2).
      const id = victim.createStream(true);
      victim.sendStreamData(id, new TextEncoder().encode('still alive'), true);
      const alive = runUntil(pair, () => received(senderEvents, id).fin || terminated(victimEvents) !== undefined || terminated(senderEvents) !== undefined, { maxSteps: MAX_STEPS });
      ensure(alive, 'the connection stayed open but a new stream did not get through');
      return terminated(victimEvents) || terminated(senderEvents) ? 'closed after the mutations' : 'alive';
    },
  };
  return c;
}

export const connTarget: FuzzTarget = {
  name: 'conn',
  // A case is a whole handshake plus a few hundred simulated milliseconds; its hang bound is
  // the step and virtual-time budget above, this only catches a wall-clock runaway.
  hangMs: 10_000,
  makeCase: connCase,
};
