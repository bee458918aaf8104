import type { Namespace, Server, Socket } from 'socket.io';
import type { Services } from '../context';
import { daysLeft, isExpiringSoon } from '../devices/domain';
import type { TerminalDevice } from '../devices/entities';
import type { DeviceCommand } from '../commands/entities';
import { type DeviceState, stateReport } from '../devices/schemas';
import { AppError } from '../errors';
import { CommandChannel } from './command-channel';
import type { DashboardFeed } from './dashboard';
import type { EventBucket, EventLimiter } from './event-limit';
import { authenticateSockets, clientIp, type HandshakeDeps, socketError } from './handshake';
import { KeyedQueue } from './keyed-queue';
import { type LastSeenBatcher, SWEEP_SLICE } from './last-seen';
import type { PresenceRegistry } from './presence-registry';
import { ExpiryWheel } from './expiry-wheel';
import { RecentlySeen } from './recently-seen';
import type { DeviceClientEvents, DeviceServerEvents, OfflineReason, RevokedPayload, StateAck } from './socket-events';

/**
 * What a socket keeps of its device: what its handlers read, nothing more (the row of the token check goes once
 * `session` and `device:online` are out).
 */
export type SocketDevice = Pick<TerminalDevice, 'id' | 'merchantId' | 'jti'>;

/** What the handshake learnt that only announcing the connection needs; dropped then, to save memory. */
interface Handshake {
  /** The row of the token check (for a previous token: with that token's jti and expiry). */
  row: TerminalDevice;
  storeCode: string;
  /** When the token check began: a drop received after it may not be in the row that check read. */
  checkedAt: number;
  /** From the token check's read: the device has unfinished commands to deliver. */
  pendingCommands: boolean;
}

/** Every field is set from the start (one object shape for every socket, all fields in the object). */
interface DeviceSocketData {
  device: SocketDevice;
  ip: string | null;
  /** The device's full state as this socket knows it (the row at the handshake, then the reports). */
  state: DeviceState | null;
  /** Its events' rate limit. */
  events: EventBucket;
  /** Whether presence counts this socket (it is not counted if dropped before it was recorded). */
  counted: boolean;
  /** Set when the server drops the socket, so the offline event names why. */
  dropReason: OfflineReason | undefined;
  handshake: Handshake | undefined;
}

/**
 * A server-side drop of a device's sockets: `revoked` (all of them), or `reissued` (those of the token `jti` only).
 */
type Drop = { deviceId: number; jti?: string; reason: RevokedPayload['reason']; revokedReason: string | null };

/** Between nodes, through the adapter. */
export interface DevicesInterServerEvents {
  drop: (drop: Drop) => void;
  /** A command was stored: the node holding the device's socket delivers it. */
  command: (commandId: number, deviceId: number) => void;
  /** An offline alert was raised for the device (its outage began at `offlineSince`, ISO). */
  alerted: (deviceId: number, offlineSince: string | null) => void;
}

export type DevicesNamespace = Namespace<
  DeviceClientEvents,
  DeviceServerEvents,
  DevicesInterServerEvents,
  DeviceSocketData
>;
export type DeviceSocket = Socket<DeviceClientEvents, DeviceServerEvents, DevicesInterServerEvents, DeviceSocketData>;

/** The one room of a device socket (a reissue's drop picks the old token's sockets in it by their jti). */
const deviceRoom = (id: number) => `device:${id}`;

export interface DevicesChannel {
  /** Emits `revoked {reason: "revoked", revoked_reason}` to every socket of the device and disconnects them, on every node. */
  revoked(device: Pick<TerminalDevice, 'id' | 'revokedReason'>): void;
  /** The same for the sockets of a replaced token, with reason `reissued`. */
  reissued(deviceId: number, previousJti: string): void;
  /** `expiring {expires_at, days_left}` to the device's sockets, on every node. */
  sendExpiring(device: TerminalDevice): void;
  /** Delivers a new command to the device's sockets, on every node. */
  deliver(command: DeviceCommand): void;
  /**
   * An offline alert was raised: every node ends it at once if the device is connected there (it came back while
   * the alert was being raised), or when a socket whose token check began before the alert is announced.
   */
  alerted(device: Pick<TerminalDevice, 'id' | 'lastSeenAt'>): void;
  /** Resolves when every queued presence transition is done. */
  idle(): Promise<unknown>;
}

/**
 * `/devices`: device tokens only (a user token is INVALID_TOKEN: the wrong kind of token, §3). Each socket joins one
 * room, `device:<id>`, receives `session`, counts in presence, and is seen (last_seen) at every flush while it is
 * connected. A handshake reads the database once (the token check, which also says whether commands wait);
 * a revoke or reissue that lands between that read and joining the room is caught from the drops this node has
 * seen since the check began (every node hears every drop), not by reading the row again.
 */
export function devicesNamespace(
  io: Server,
  services: Pick<Services, 'config' | 'logger' | 'metrics' | 'tokens' | 'devices' | 'commands' | 'events'>,
  deps: {
    presence: PresenceRegistry;
    lastSeen: LastSeenBatcher;
    feed: DashboardFeed;
    door: Pick<HandshakeDeps, 'handshakes' | 'guard' | 'timeoutMs'> & { events: EventLimiter };
    cluster: boolean;
    closing: () => boolean;
    /** Ends an alerted outage (AlertService.backOnline). */
    backOnline: (deviceId: number, offlineSince: Date | null) => Promise<void>;
  },
): DevicesChannel {
  const { config, logger, metrics, tokens } = services;
  const { presence, lastSeen, feed } = deps;
  const nsp: DevicesNamespace = io.of('/devices');
  const commandChannel = new CommandChannel(nsp, services.commands, logger, deps.cluster);
  const connected = metrics.gauge('realtime_device_sockets', 'Device sockets connected to this node');
  const drops = metrics.counter('realtime_device_drops_total', 'Device sockets dropped by the server, by reason', [
    'reason',
  ]);
  const queue = new KeyedQueue((err) => logger.error({ err }, 'presence update failed'));
  lastSeen.watch(function* (visit) {
    let n = 0;
    for (const { data } of nsp.sockets.values()) {
      if (data.counted) visit(data.device.id, data.ip);
      if (++n % SWEEP_SLICE === 0) yield;
    }
  }, config.socketPingIntervalMs);

  // The token check read the device with its store and whether commands wait; the socket keeps what it needs.
  authenticateSockets(nsp, { tokens, logger, ...deps.door }, (principal, _token, socket, checkedAt) => {
    if (principal.kind !== 'device') throw new AppError('INVALID_TOKEN');
    const row = principal.device;
    return {
      device: { id: row.id, merchantId: row.merchantId, jti: row.jti },
      ip: clientIp(socket),
      state: row.state,
      events: deps.door.events.bucket(),
      counted: false,
      dropReason: undefined,
      handshake: {
        row,
        storeCode: principal.store.code,
        checkedAt,
        pendingCommands: Boolean(principal.pendingCommands),
      },
    };
  });

  const dropSocket = (socket: DeviceSocket, reason: OfflineReason, send: () => void) => {
    socket.data.dropReason = reason;
    send();
    socket.disconnect(true);
    drops.inc({ reason });
  };
  const revokeSocket = (socket: DeviceSocket, reason: Drop['reason'], revokedReason: string | null) =>
    dropSocket(socket, reason, () => socket.emit('revoked', { reason, revoked_reason: revokedReason }));
  const expiry = new ExpiryWheel<DeviceSocket>((socket) =>
    dropSocket(socket, 'expired', () =>
      socket.emit('expired', socketError(new AppError('TERMINAL_DEVICE_EXPIRED'), logger)),
    ),
  );

  // What this node heard lately, for the sockets whose token check began before it (see RecentlySeen).
  const memoryMs = 2 * deps.door.timeoutMs + 1000;
  const recentDrops = new RecentlySeen<Drop[]>(memoryMs);
  const recentAlerts = new RecentlySeen<Date | null>(memoryMs); // an alert's outage start
  const applies = (d: Drop, socket: DeviceSocket) => !d.jti || d.jti === socket.data.device.jti;
  /** A drop this socket's token check may not have seen. */
  const missedDrop = (socket: DeviceSocket) =>
    recentDrops.since(socket.data.device.id, socket.data.handshake!.checkedAt)?.value.find((d) => applies(d, socket));
  const dropHere = (d: Drop) => {
    recentDrops.set(d.deviceId, [d], (seen) => [...seen, d]);
    for (const id of nsp.adapter.rooms.get(deviceRoom(d.deviceId)) ?? []) {
      const socket = nsp.sockets.get(id);
      if (socket && applies(d, socket)) revokeSocket(socket, d.reason, d.revokedReason);
    }
  };
  // Other nodes' drops arrive through the adapter. (serverSideEmit rather than disconnectSockets: it carries the
  // reason, so the node holding the socket can tell dashboards why the device went offline.)
  nsp.on('drop', dropHere);

  const alertedHere = (deviceId: number, offlineSince: string | null) => {
    const since = offlineSince ? new Date(offlineSince) : null;
    recentAlerts.set(deviceId, since);
    const here = [...(nsp.adapter.rooms.get(deviceRoom(deviceId)) ?? [])].some(
      (id) => nsp.sockets.get(id)?.data.counted,
    );
    if (here) void deps.backOnline(deviceId, since).catch((err) => logger.warn({ err }, 'back online not recorded'));
  };
  nsp.on('alerted', alertedHere);

  nsp.on('connection', onConnection);
  function onConnection(socket: DeviceSocket): void {
    if (deps.closing()) return void socket.disconnect(true);
    const { data } = socket;
    const missed = missedDrop(socket);
    if (missed) return void revokeSocket(socket, missed.reason, missed.revokedReason);
    const { device } = data;
    void socket.join(deviceRoom(device.id));
    connected.inc();
    lastSeen.touch(device.id, data.ip);
    expiry.add(socket, data.handshake!.row.expiresAt);
    // `session` goes out once presence has recorded the socket: from then on every node sees the device online.
    queue.run(device.id, () => announce(socket));
    socket.onAny(onEvent);
    socket.on('disconnect', onDisconnect);
  }

  // Every event of every device socket comes through one function (no closure or handler map per socket): the rate
  // limit, then `state` or `command:result`; any other event is ignored.
  function onEvent(this: DeviceSocket, event: string, ...args: unknown[]): void {
    if (!deps.door.events.allow(this, this.data.events, args, nsp.name)) return;
    if (event === 'state') onState(this, args[0], args[1]);
    else if (event === 'command:result') void commandChannel.result(this, args[0], args[1]);
  }

  async function announce(socket: DeviceSocket): Promise<void> {
    const { data } = socket;
    const { device } = data;
    const { row, storeCode, checkedAt, pendingCommands } = data.handshake!;
    data.handshake = undefined;
    if (deps.closing() || !socket.connected) return;
    data.counted = true;
    const cameOnline = await presence.connected(device.id).finally(() =>
      socket.emit('session', {
        device_id: device.id,
        store_code: storeCode,
        expires_at: row.expiresAt.toISOString(),
        expiring_soon: isExpiringSoon(row, config.expiryWarningDays),
      }),
    );
    // An alert raised after this socket's token check read the row: the row does not know it, the memory does.
    const alert = recentAlerts.since(device.id, checkedAt);
    if (alert && !row.offlineAlertAt)
      Object.assign(row, { offlineAlertAt: new Date(alert.at), lastSeenAt: alert.value });
    if (cameOnline) feed.emit('device:online', [{ device: row, storeCode, online: true }]);
    services.events.emit('device.connected', { device, ip: data.ip });
    // Commands waited at the token check, or one was stored since (before this socket counted, it was skipped).
    if (pendingCommands || commandChannel.announcedSince(device.id, checkedAt))
      await commandChannel.deliverPending(socket);
  }

  function onDisconnect(this: DeviceSocket, why: string): void {
    const { data } = this;
    const { device } = data;
    connected.dec();
    expiry.delete(this);
    if (why !== 'ping timeout') lastSeen.touch(device.id, data.ip);
    if (deps.closing() || !data.counted) return; // shutdown announces this node's devices at once
    const reason: OfflineReason = data.dropReason ?? (why === 'ping timeout' ? 'ping_timeout' : 'client_disconnect');
    services.events.emit('device.disconnected', { device, ip: data.ip, reason });
    queue.run(device.id, async () => {
      if (await presence.disconnected(device.id))
        await feed.sendByIds('device:offline', [device.id], { online: false, reason });
    });
  }

  // `state {…}`: validated, merged in memory, written by the next last_seen flush; dashboards get `device:state`.
  function onState(socket: DeviceSocket, payload: unknown, ack: unknown): void {
    const { data } = socket;
    const answer = typeof ack === 'function' ? (ack as (answer: StateAck) => void) : undefined;
    const report = stateReport.safeParse(payload);
    if (!report.success) return void answer?.({ error: socketError(report.error, logger) });
    const state: DeviceState = { ...report.data, updated_at: new Date().toISOString() };
    lastSeen.report(data.device.id, data.ip, state);
    data.state = { ...data.state, ...lastSeen.peek(data.device.id)?.state, ...state };
    feed.state(data.device, data.state);
    answer?.({ ok: true });
  }

  const drop = (d: Drop) => {
    dropHere(d);
    if (deps.cluster) nsp.serverSideEmit('drop', d);
  };
  return {
    revoked: (device) => drop({ deviceId: device.id, reason: 'revoked', revokedReason: device.revokedReason }),
    reissued: (deviceId, previousJti) => drop({ deviceId, jti: previousJti, reason: 'reissued', revokedReason: null }),
    sendExpiring(device) {
      const payload = { expires_at: device.expiresAt.toISOString(), days_left: daysLeft(device) };
      nsp.to(deviceRoom(device.id)).emit('expiring', payload);
    },
    deliver: (command) => commandChannel.deliver(command),
    alerted(device) {
      const since = device.lastSeenAt?.toISOString() ?? null;
      alertedHere(device.id, since);
      if (deps.cluster) nsp.serverSideEmit('alerted', device.id, since);
    },
    idle: () => queue.idle(),
  };
}
