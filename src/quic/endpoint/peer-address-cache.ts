/**
 * Reuses one PeerAddress object per remote for received datagrams, so the receive path does not
 * build a fresh `{ address, port }` for every datagram (issue 3: the hot path allocates nothing
 * per packet). Node's dgram hands us a new rinfo each time; we only read its two fields.
 *
 * Sharing one object between datagrams is safe because the core treats a PeerAddress as a value:
 * it stores it (the path's peer address, PATH_CHALLENGE targets, buffered packets) and compares
 * it field by field (sameAddress), but never writes its fields. The objects are frozen so a
 * future write fails loudly instead of moving another datagram's address.
 *
 * No string key is built per lookup (a template key would allocate each time): the entries are
 * compared by their fields, newest first. The table is small and fixed, so spoofed source
 * addresses cannot grow it; a miss only costs the one object it would have cost anyway.
 */
import type { PeerAddress } from '../connection/types.js';

/** How many remotes are remembered: a client has one, a busy server rotates through the rest. */
export const PEER_ADDRESS_CACHE_SIZE = 8;

export class PeerAddressCache {
  private readonly entries: (PeerAddress | undefined)[];
  /** The slot the next miss replaces (round robin: cheap, and fair to a few alternating peers). */
  private next = 0;
  /** The slot the last hit or miss used: consecutive datagrams mostly come from one peer. */
  private last = 0;

  constructor(size: number = PEER_ADDRESS_CACHE_SIZE) {
    this.entries = new Array<PeerAddress | undefined>(Math.max(1, Math.floor(size) || 1)).fill(undefined);
  }

  /** The shared PeerAddress for this address and port (the same object while it stays cached). */
  get(address: string, port: number): PeerAddress {
    const entries = this.entries;
    const recent = entries[this.last];
    if (recent !== undefined && recent.port === port && recent.address === address) return recent;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e !== undefined && e.port === port && e.address === address) {
        this.last = i;
        return e;
      }
    }
    const fresh: PeerAddress = Object.freeze({ address, port });
    const slot = this.next;
    entries[slot] = fresh;
    this.last = slot;
    this.next = (slot + 1) % entries.length;
    return fresh;
  }
}
