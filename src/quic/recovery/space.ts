/** Packet number spaces, RFC 9000 §12.3. 0-RTT and 1-RTT packets share ApplicationData. */
export const PacketNumberSpace = {
  Initial: 0,
  Handshake: 1,
  ApplicationData: 2,
} as const;

export type PacketNumberSpace = (typeof PacketNumberSpace)[keyof typeof PacketNumberSpace];

/** The three spaces in the order RFC 9002 Appendix A iterates them. */
export const PACKET_NUMBER_SPACES: readonly PacketNumberSpace[] = [
  PacketNumberSpace.Initial,
  PacketNumberSpace.Handshake,
  PacketNumberSpace.ApplicationData,
];

export function spaceName(space: PacketNumberSpace): string {
  return space === PacketNumberSpace.Initial ? 'Initial' : space === PacketNumberSpace.Handshake ? 'Handshake' : 'ApplicationData';
}
