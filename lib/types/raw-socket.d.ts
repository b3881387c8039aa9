/** The part of raw-socket 1.8 we use (the package ships no types). */
declare module 'raw-socket' {
  export interface SocketWrap {
    /** Synchronous non-blocking sendto(2); throws Error(strerror) on failure. */
    send(buffer: Buffer, offset: number, length: number, address: string, done: (bytes: number) => void): void;
  }
  export interface Socket {
    readonly wrap: SocketWrap;
    setOption(level: number, option: number, value: number): void;
    setOption(level: number, option: number, value: Buffer, length: number): void;
    on(event: 'error', listener: (e: Error) => void): this;
    close(): this;
  }
  export function createSocket(options: { protocol: number; addressFamily?: number; bufferSize?: number }): Socket;
  export const SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number };
  export const SocketOption: { SO_BINDTODEVICE: number; SO_SNDBUF: number };
  const raw: { createSocket: typeof createSocket; SocketLevel: typeof SocketLevel; SocketOption: typeof SocketOption };
  export default raw;
}
