import net from 'node:net';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { waitFor } from './helpers';

export interface Received {
  name: string;
  payload: any;
  at: number;
}

/**
 * A real socket.io-client socket that records every event it receives (from before the connection completes,
 * so `session` is never missed), with small waits for tests.
 */
export class TestSocket {
  readonly events: Received[] = [];
  disconnectReason: string | undefined;
  readonly socket: Socket;

  constructor(url: string, nsp: '/devices' | '/dashboard', opts: Partial<ManagerOptions & SocketOptions> = {}) {
    this.socket = io(url + nsp, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts });
    this.socket.onAny((name: string, payload: unknown) => this.events.push({ name, payload, at: Date.now() }));
    this.socket.on('disconnect', (reason) => {
      this.disconnectReason = reason;
    });
  }

  /** Resolves once connected; rejects with the connect_error (message = code, data = {code, message}). */
  connected(): Promise<this> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve(this);
      this.socket.once('connect', () => resolve(this));
      this.socket.once('connect_error', reject);
    });
  }

  /** Device sockets: connected, and `session` received (presence has recorded the socket). Returns the session. */
  async session(): Promise<any> {
    await this.connected();
    return (await this.next('session')).payload;
  }

  /** The first event of that name (already received or still to come) that matches. */
  async next(name: string, match: (payload: any) => boolean = () => true, timeoutMs = 5000): Promise<Received> {
    return (await waitFor(() => this.events.find((e) => e.name === name && match(e.payload)), timeoutMs, 10))!;
  }

  /** Events received about one device (dashboards). */
  about(deviceId: number): Received[] {
    return this.events.filter((e) => e.payload?.device?.id === deviceId);
  }

  async disconnected(timeoutMs = 5000): Promise<string> {
    return (await waitFor(() => this.disconnectReason, timeoutMs, 10))!;
  }

  emitWithAck(event: string, payload: unknown): Promise<any> {
    return this.socket.timeout(5000).emitWithAck(event, payload);
  }

  close(): void {
    this.socket.disconnect();
  }
}

export const deviceSocket = (url: string, token: string, opts: Partial<ManagerOptions & SocketOptions> = {}) =>
  new TestSocket(url, '/devices', { auth: { token }, ...opts });
export const dashboardSocket = (url: string, token: string, opts: Partial<ManagerOptions & SocketOptions> = {}) =>
  new TestSocket(url, '/dashboard', { auth: { token }, ...opts });

/** A tablet online: a device socket connected, its `session` received (presence has recorded it). */
export async function tabletOnline(
  url: string,
  token: string,
  opts: Partial<ManagerOptions & SocketOptions> = {},
): Promise<TestSocket> {
  const s = deviceSocket(url, token, opts);
  try {
    await s.session();
  } catch (err) {
    s.close();
    throw err;
  }
  return s;
}

/**
 * Call inside a `describe`: returns `track`, which hands back the socket it is given and closes it after the
 * current test (passed or failed).
 */
export function closedAfterEach(): <S extends TestSocket>(s: S) => S {
  const open: TestSocket[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  return (s) => {
    open.push(s);
    return s;
  };
}

/** Expects the connection to be refused; returns the connect_error's message and data. */
export async function refusal(s: TestSocket): Promise<{ message: string; data: { code: string; message: string } }> {
  try {
    await s.connected();
  } catch (err) {
    const e = err as Error & { data: { code: string; message: string } };
    return { message: e.message, data: e.data };
  } finally {
    s.close();
  }
  throw new Error('the connection was accepted');
}

/**
 * A TCP relay to a local port that can go silent: after `blackhole()` it forwards nothing either way and closes
 * nothing, like a tablet whose Wi-Fi dropped.
 */
export async function silenceableProxy(
  targetPort: number,
): Promise<{ port: number; blackhole(): void; close(): void }> {
  let silent = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      sockets.add(from);
      from.on('data', (chunk) => silent || to.write(chunk));
      from.on('close', () => silent || to.destroy());
      from.on('error', () => undefined);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    blackhole: () => {
      silent = true;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
