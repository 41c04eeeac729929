/**
 * UDP sockets for the endpoints (node:dgram): IPv4 or IPv6 by the address, with large socket
 * buffers. A QUIC sender bursts a congestion window of datagrams at once and the receiver drains
 * the socket from one JavaScript thread, so the kernel's default 208 KiB buffers overflow long
 * before the link does (reference/quic.md §1, §5b: raise them by 10× or more).
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { PeerAddress } from '../connection/types.js';

/** Socket buffer size we ask for; the kernel may cap it (net.core.rmem_max / wmem_max). */
export const SOCKET_BUFFER_BYTES = 4 << 20;

export type SocketFamily = 4 | 6;

export function familyOf(address: string): SocketFamily {
  return isIPv6(address) ? 6 : 4;
}

/** The wildcard address of a family (for a client's local bind). */
export function anyAddress(family: SocketFamily): string {
  return family === 6 ? '::' : '0.0.0.0';
}

export interface BoundSocket {
  socket: dgram.Socket;
  /** The local address and port actually bound (port 0 asks for a free one). */
  local: PeerAddress;
  family: SocketFamily;
  /** What the kernel granted (may be less than asked, or doubled by Linux's bookkeeping). */
  recvBufferSize: number;
  sendBufferSize: number;
}

/**
 * Creates a socket of the address's family, binds it and sizes its buffers. Rejects only when
 * the bind fails (address in use, address not available); buffer sizes that the OS refuses are
 * silently left at what it allows.
 */
export function bindUdp(opts: { address: string; port: number; bufferBytes?: number; ipv6Only?: boolean }): Promise<BoundSocket> {
  const family = familyOf(opts.address);
  const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: opts.ipv6Only ?? false });
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      socket.removeListener('listening', onListening);
      try {
        socket.close();
      } catch {
        // already closed
      }
      reject(e);
    };
    const onListening = (): void => {
      socket.removeListener('error', onError);
      const sizes = sizeBuffers(socket, opts.bufferBytes ?? SOCKET_BUFFER_BYTES);
      const a = socket.address();
      resolve({ socket, local: { address: a.address, port: a.port }, family, ...sizes });
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ address: opts.address, port: opts.port, exclusive: true });
  });
}

/** Asks for `bytes` of receive and send buffer; keeps whatever the OS grants. */
export function sizeBuffers(socket: dgram.Socket, bytes: number): { recvBufferSize: number; sendBufferSize: number } {
  try {
    socket.setRecvBufferSize(bytes);
  } catch {
    // The OS refused: keep its default.
  }
  try {
    socket.setSendBufferSize(bytes);
  } catch {
    // idem
  }
  let recvBufferSize = 0;
  let sendBufferSize = 0;
  try {
    recvBufferSize = socket.getRecvBufferSize();
    sendBufferSize = socket.getSendBufferSize();
  } catch {
    // not available on this platform
  }
  return { recvBufferSize, sendBufferSize };
}

/** `host:port`, with brackets around an IPv6 address. */
export function formatAddress(a: PeerAddress): string {
  return isIPv6(a.address) ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
