/**
 * Typed view of the `raw-socket` addon (it ships no types), reduced to what
 * the capture process uses: an IPPROTO_TCP raw socket (Linux delivers every
 * inbound TCP/IPv4 packet to it, IP header included), its options, and a
 * non-blocking recv that we call in a loop until the queue is empty. The
 * addon's own reader calls recv once per poll event - one packet per loop
 * turn, the cause of the 1.3 % capture rate reported in issue 3 - so its
 * `recvReady` handler is replaced.
 */
import { createRequire } from 'node:module';

interface SocketWrap {
  recv(buffer: Buffer, callback: (buffer: Buffer, bytes: number, source: string) => void): void;
  removeAllListeners(event: string): void;
  on(event: 'recvReady', listener: () => void): void;
}

interface RawSocket {
  readonly wrap: SocketWrap;
  setOption(level: number, option: number, value: number): void;
  getOption(level: number, option: number, value: Buffer, length: number): number;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'close', listener: () => void): void;
  close(): void;
}

interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily?: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number };
  Protocol: { TCP: number };
  SocketLevel: Record<string, number>;
  SocketOption: Record<string, number>;
}

const raw = createRequire(import.meta.url)('raw-socket') as RawSocketModule;

// Linux values; raw-socket does not export SO_RCVBUFFORCE.
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const EAGAIN_MESSAGE = /temporarily unavailable|would block/i;

export interface RawTcpReader {
  /** Reads until the kernel queue is empty, calling `onPacket` with a view valid only during the call. */
  drain(onPacket: (packet: Buffer, length: number) => void): number;
  /** The receive buffer the kernel actually granted, in bytes. */
  readonly receiveBufferBytes: number;
  close(): void;
}

/**
 * Opens the raw socket and asks for a large receive buffer: the buffer, not
 * the reader's speed, is what absorbs bursts while the process is busy.
 * SO_RCVBUFFORCE (root) passes net.core.rmem_max; SO_RCVBUF is the fallback.
 */
export function openRawTcpReader(
  receiveBufferBytes: number,
  onReadable: () => void,
  onError: (error: Error) => void,
): RawTcpReader {
  const socket = raw.createSocket({
    protocol: raw.Protocol.TCP,
    addressFamily: raw.AddressFamily.IPv4,
    bufferSize: 65_536,
  });
  try {
    socket.setOption(SOL_SOCKET, SO_RCVBUFFORCE, receiveBufferBytes);
  } catch {
    socket.setOption(SOL_SOCKET, SO_RCVBUF, receiveBufferBytes);
  }
  const optionValue = Buffer.alloc(4);
  socket.getOption(SOL_SOCKET, SO_RCVBUF, optionValue, 4);
  const granted = optionValue.readUInt32LE(0);
  socket.on('error', onError);
  socket.wrap.removeAllListeners('recvReady');
  socket.wrap.on('recvReady', onReadable);
  const buffer = Buffer.alloc(65_536);
  return {
    receiveBufferBytes: granted,
    drain(onPacket) {
      let read = 0;
      for (;;) {
        try {
          socket.wrap.recv(buffer, (_b, bytes) => onPacket(buffer, bytes));
          read++;
        } catch (error) {
          if (error instanceof Error && EAGAIN_MESSAGE.test(error.message)) return read;
          throw error;
        }
      }
    },
    close() {
      socket.close();
    },
  };
}
