/**
 * The reference tablet client: what the Android app does, in ~300 lines of Node. Read it top to bottom; the
 * comments say why, the code says what. Wire types come from src/wire.ts, so a renamed field breaks this build.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import { io, type Socket } from 'socket.io-client';
import type {
  CommandPayload,
  CommandResultAck,
  CommandResultPayload,
  DeviceClientEvents,
  DeviceServerEvents,
  DeviceStateReport,
  ErrorBody,
  ExpiringPayload,
  RevokedPayload,
  SessionPayload,
  StateAck,
  StoreSession,
} from '../wire';

/** What the pairing QR code holds (src/devices/qr.ts), and all a tablet needs to know. */
export interface Credentials {
  api_url: string;
  store_code: string;
  auth_token: string;
}

/** A command the tablet has run, and the result it sent (re-sent if the server delivers the command again). */
export interface ExecutedCommand {
  id: number;
  result: CommandResultPayload | null;
}

/** Everything the tablet persists: its credentials and the commands it has already run. */
export interface TabletState {
  credentials: Credentials;
  executed: ExecutedCommand[];
}

/** Where the state lives. The app uses encrypted storage; the CLI a 0600 JSON file (FileCredentialStore). */
export interface CredentialStore {
  load(): Promise<TabletState | null>;
  save(state: TabletState): Promise<void>;
}

/** Keeps the state in memory (tests, embedding). */
export class MemoryCredentialStore implements CredentialStore {
  constructor(public state: TabletState | null = null) {}
  async load() {
    return this.state;
  }
  async save(state: TabletState) {
    this.state = structuredClone(state);
  }
}

/**
 * A JSON file readable by its owner only (0600). Written atomically: a temp file, then a rename, so a crash mid-write
 * never leaves a half-written file and loses the token.
 */
export class FileCredentialStore implements CredentialStore {
  constructor(readonly path: string) {}
  async load(): Promise<TabletState | null> {
    try {
      return JSON.parse(await fs.readFile(this.path, 'utf8')) as TabletState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
  async save(state: TabletState): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    await fs.writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await fs.rename(tmp, this.path);
  }
}

/** Why the client stopped for good. `closed` = close() was called. */
export type StopReason = 'revoked' | 'expired' | 'invalid_token' | 'closed';

/** What the client tells its user. */
export interface TabletEvents {
  session: (session: SessionPayload) => void;
  expiring: (payload: ExpiringPayload) => void;
  revoked: (payload: RevokedPayload) => void;
  expired: (payload: ErrorBody) => void;
  /** A command about to run (not emitted for a redelivered one: see `command:duplicate`). */
  command: (command: CommandPayload) => void;
  /** A command already run, delivered again: acknowledged, its result re-sent, not run again. */
  'command:duplicate': (command: CommandPayload) => void;
  'command:result': (result: CommandResultPayload, ack: CommandResultAck | null) => void;
  state: (report: DeviceStateReport, ack: StateAck | null) => void;
  renewed: (expiresAt: string) => void;
  reconnecting: (attempt: number, delayMs: number) => void;
  error: (err: Error) => void;
}

export interface TabletOptions {
  /** The device's state; called at connect, every stateIntervalMs and for `ping`. */
  stateProvider?: () => DeviceStateReport | Promise<DeviceStateReport>;
  stateIntervalMs?: number;
  /** Reconnection backoff: delay = random(0, min(maxDelayMs, baseDelayMs · 2^attempt)) ("full jitter"). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How many executed command ids to remember (oldest forgotten first). */
  rememberCommands?: number;
  /** The connection's source address (a load test spreads its tablets over 127.0.0.x); the system's by default. */
  localAddress?: string;
}

/** Node-side defaults; the app reports the real build, Android version, device model, battery and network. */
export function defaultState(): DeviceStateReport {
  const text = (s: string) => s.replace(/[\p{Cc}]/gu, '').slice(0, 64);
  return {
    app_version: text('terminal-hub-reference-client/0.1.0'),
    os_version: text(`${os.type()} ${os.release()}`),
    model: text(`${os.platform()}-${os.arch()} node ${process.version}`),
    locale: text(Intl.DateTimeFormat().resolvedOptions().locale),
  };
}

/** Codes that mean this token will never work again: reconnecting would only hammer the server. */
const FATAL: Record<string, StopReason> = {
  TERMINAL_DEVICE_REVOKED: 'revoked',
  TERMINAL_DEVICE_EXPIRED: 'expired',
  INVALID_TOKEN: 'invalid_token',
};

/** Answers that mean "not now": the same result is sent again. */
const RETRYABLE = new Set(['SERVICE_UNAVAILABLE', 'RATE_LIMITED']);
/** The longest pause between two sends of the same result. */
const RESULT_BACKOFF_CAP_MS = 10_000;

type DeviceSocket = Socket<DeviceServerEvents, DeviceClientEvents>;

export interface TabletClient {
  on<K extends keyof TabletEvents>(event: K, listener: TabletEvents[K]): this;
  once<K extends keyof TabletEvents>(event: K, listener: TabletEvents[K]): this;
  emit<K extends keyof TabletEvents>(event: K, ...args: Parameters<TabletEvents[K]>): boolean;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: typed events for an EventEmitter subclass
export class TabletClient extends EventEmitter {
  /** Resolves once the client stopped for good, with the reason. */
  readonly stopped: Promise<StopReason>;
  private resolveStopped!: (reason: StopReason) => void;
  private socket: DeviceSocket | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stateTimer: NodeJS.Timeout | undefined;
  private done = false;
  private state: TabletState;
  private readonly opts: Required<TabletOptions>;

  constructor(
    credentials: Credentials,
    private readonly store: CredentialStore,
    options: TabletOptions = {},
    executed: ExecutedCommand[] = [],
  ) {
    super();
    this.state = { credentials: { ...credentials }, executed: [...executed] };
    this.opts = {
      stateProvider: defaultState,
      stateIntervalMs: 5 * 60_000,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      rememberCommands: 500,
      localAddress: '',
      ...options,
    };
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
    // An EventEmitter throws on an unhandled 'error'; a tablet logs and carries on.
    if (this.listenerCount('error') === 0) this.on('error', () => undefined);
  }

  /** A client from what the store holds, or null if it holds nothing (not paired yet). */
  static async fromStore(store: CredentialStore, options: TabletOptions = {}): Promise<TabletClient | null> {
    const saved = await store.load();
    return saved ? new TabletClient(saved.credentials, store, options, saved.executed) : null;
  }

  get credentials(): Readonly<Credentials> {
    return this.state.credentials;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Saves the credentials (a first pairing is kept before anything else happens) and connects. */
  async start(): Promise<void> {
    await this.persist();
    this.connect();
  }

  /** Stops for good: no reconnection. */
  close(): void {
    this.stop('closed');
  }

  /** Drops the connection and connects again at once (the `reload` command, a new token). */
  reconnect(): void {
    if (this.done) return;
    this.teardown();
    this.connect();
  }

  /**
   * Renews the token (POST /device/token with the current one). The new token is saved FIRST, then used: once used,
   * the old one is refused, so a crash between the two must leave the new one on disk.
   */
  async renew(): Promise<string> {
    const res = await fetch(`${this.state.credentials.api_url}/api/v1/store/loyalty/device/token`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.state.credentials.auth_token}` },
    });
    if (!res.ok) throw new Error(`renewal refused: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { auth_token: string; expires_at: string };
    this.state.credentials = { ...this.state.credentials, auth_token: body.auth_token };
    await this.persist();
    this.emit('renewed', body.expires_at);
    if (!this.done) this.reconnect();
    return body.expires_at;
  }

  /** GET /api/v1/store/loyalty/session with the device token: the store, merchant and program. */
  async fetchSession(): Promise<StoreSession> {
    return fetchSession(this.state.credentials.api_url, this.state.credentials.auth_token);
  }

  // --- connection -------------------------------------------------------------------------------------------------

  private connect(): void {
    const { api_url, auth_token } = this.state.credentials;
    // Our own reconnection (reconnection: false): Socket.IO's would retry with the same token after a revoke.
    const socket: DeviceSocket = io(`${api_url}/devices`, {
      auth: { token: auth_token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
    });
    this.socket = socket;
    // Every handler checks it is still the current socket: a replaced one may still deliver a late event.
    const current = () => this.socket === socket && !this.done;

    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (!current()) return;
      const code = err.data?.code ?? err.message;
      if (FATAL[code]) return this.stop(FATAL[code]);
      this.emit('error', err);
      this.scheduleReconnect();
    });
    socket.on('disconnect', (reason) => {
      if (!current() || reason === 'io client disconnect') return;
      this.scheduleReconnect();
    });
    socket.on('session', (session) => {
      if (!current()) return;
      this.attempt = 0; // a real session, not just a TCP connect, resets the backoff
      this.emit('session', session);
      void this.sendState();
      clearInterval(this.stateTimer);
      this.stateTimer = setInterval(() => void this.sendState(), this.opts.stateIntervalMs);
      this.stateTimer.unref();
    });
    socket.on('expiring', (payload) => {
      if (!current()) return;
      this.emit('expiring', payload);
      this.renew().catch((err) => this.emit('error', err));
    });
    socket.on('revoked', (payload) => {
      if (!current()) return;
      this.emit('revoked', payload);
      this.stop('revoked');
    });
    socket.on('expired', (payload) => {
      if (!current()) return;
      this.emit('expired', payload);
      this.stop('expired');
    });
    socket.on('command', (command, received) => {
      if (!current()) return;
      received(); // acknowledge receipt at once: the server marks it `delivered` and stops resending it
      void this.handleCommand(command);
    });
  }

  private scheduleReconnect(): void {
    if (this.done || this.retryTimer) return;
    clearInterval(this.stateTimer);
    const ceiling = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** this.attempt);
    // Full jitter: a thousand tablets cut off by the same outage do not all come back in the same second.
    const delay = Math.round(Math.random() * ceiling);
    this.attempt++;
    this.emit('reconnecting', this.attempt, delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.done) return;
      this.teardown();
      this.connect();
    }, delay);
  }

  private teardown(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearInterval(this.stateTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.removeAllListeners();
    socket?.disconnect();
  }

  private stop(reason: StopReason): void {
    if (this.done) return;
    this.done = true;
    this.teardown();
    this.resolveStopped(reason);
  }

  // --- state ------------------------------------------------------------------------------------------------------

  private async sendState(): Promise<void> {
    const socket = this.socket;
    if (!socket?.connected) return;
    try {
      const report = await this.opts.stateProvider();
      const ack = await socket.timeout(10_000).emitWithAck('state', report);
      this.emit('state', report, ack);
    } catch (err) {
      this.emit('error', err as Error);
    }
  }

  // --- commands ---------------------------------------------------------------------------------------------------

  /**
   * Delivery is at least once (the server resends unfinished commands after every reconnect), so the tablet keeps
   * the ids it has run, with their results, and never runs one twice: a redelivered command only gets its result
   * sent again.
   */
  private async handleCommand(command: CommandPayload): Promise<void> {
    const seen = this.state.executed.find((e) => e.id === command.id);
    if (seen) {
      this.emit('command:duplicate', command);
      // No result yet: it is still running (the result goes out when it ends) or the app died while running it (not run
      // again; the command expires on the server).
      if (seen.result) await this.sendResult(seen.result, command.expires_at);
      return;
    }
    // Remembered before running: a crash mid-run must not run it again on the next boot.
    const entry: ExecutedCommand = { id: command.id, result: null };
    this.state.executed.push(entry);
    this.state.executed.splice(0, Math.max(0, this.state.executed.length - this.opts.rememberCommands));
    await this.persist();

    this.emit('command', command);
    let result: CommandResultPayload;
    try {
      result = { id: command.id, ok: true, result: await this.run(command) };
    } catch (err) {
      result = { id: command.id, ok: false, error: { code: 'COMMAND_FAILED', message: (err as Error).message } };
    }
    entry.result = result;
    await this.persist();
    await this.sendResult(result, command.expires_at);
    if (command.type === 'reload') this.reconnect(); // after the result, so it is not lost with the old socket
  }

  private async run(command: CommandPayload): Promise<Record<string, unknown>> {
    switch (command.type) {
      case 'identify':
      case 'show_message':
        return { shown: true }; // the user of this client (the CLI) prints it, from the `command` event
      case 'reload':
        return { reloading: true };
      case 'sync': {
        const session = await this.fetchSession();
        return { store_code: session.store.code, program: session.program };
      }
      case 'ping':
        return { ...(await this.opts.stateProvider()) };
      default:
        throw new Error(`unsupported command type ${String(command.type)}`);
    }
  }

  /**
   * On the connection of the moment, not the one the command came on: a command still running when the connection
   * was replaced is redelivered on the new one, recognised as running, and its result must go out there.
   */
  private async sendResult(result: CommandResultPayload, expiresAt: string): Promise<void> {
    // A busy server sheds load (SERVICE_UNAVAILABLE, RATE_LIMITED) or answers late: the result is sent again, with
    // backoff and full jitter, as long as the connection lasts and until the command expires (past that the server
    // refuses it anyway). After a reconnect the server resends the command and the stored result goes out from there.
    const deadline = Date.parse(expiresAt);
    for (let attempt = 0; ; attempt++) {
      const socket = this.socket;
      if (!socket?.connected || this.done) return;
      let ack: CommandResultAck | null = null;
      try {
        ack = await socket.timeout(10_000).emitWithAck('command:result', result);
      } catch (err) {
        this.emit('error', err as Error); // no answer in time, or the connection went
      }
      if (ack) this.emit('command:result', result, ack);
      const retry = !ack || ('error' in ack && RETRYABLE.has(ack.error.code));
      const pause = Math.random() * Math.min(RESULT_BACKOFF_CAP_MS, 500 * 2 ** attempt);
      if (!retry || !(Date.now() + pause < deadline)) return;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private persist(): Promise<void> {
    return this.store.save(this.state);
  }
}

/** GET /api/v1/store/loyalty/session: who this token is (used by the CLI to learn the store code from a bare token). */
export async function fetchSession(apiUrl: string, token: string): Promise<StoreSession> {
  const res = await fetch(`${apiUrl}/api/v1/store/loyalty/session`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: ErrorBody };
    const code = body.error?.code;
    throw Object.assign(new Error(`session: HTTP ${res.status} ${code ?? ''}`), { status: res.status, code });
  }
  return (await res.json()) as StoreSession;
}
