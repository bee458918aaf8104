import { decodeJwt } from 'jose';
import type { Namespace, Server } from 'socket.io';
import { z } from 'zod';
import type { UserPrincipal } from '../auth/principals';
import type { DeviceCommand } from '../commands/entities';
import { presentCommand } from '../commands/presenter';
import type { Services } from '../context';
import type { DeviceView } from '../devices/domain';
import type { TerminalDevice } from '../devices/entities';
import type { DeviceState } from '../devices/schemas';
import { presentDevice } from '../devices/presenter';
import type { LastSeen } from '../devices/service';
import { AppError, withDeadline } from '../errors';
import type { EventLimiter } from './event-limit';
import { authenticateSockets, type HandshakeDeps, socketError } from './handshake';
import { runAt } from './run-at';
import type {
  DashboardClientEvents,
  DashboardDeviceEvent,
  DashboardServerEvents,
  OfflineReason,
  SubscribeAck,
} from './socket-events';

interface DashboardSocketData {
  user: Exclude<UserPrincipal, { role: 'store_staff' }>;
  /** When the user token expires: the socket is dropped then, as REST would refuse it. */
  expiresAt: Date;
}

type DashboardNamespace = Namespace<DashboardClientEvents, DashboardServerEvents, object, DashboardSocketData>;

const merchantRoom = (merchantId: number) => `merchant:${merchantId}`;
const subscribeBody = z.strictObject({ merchant_id: z.number().int().positive() });
/** The subscribe ack lists the newest devices, like GET …/devices?limit=500, with the total. */
const ACK_LIMIT = 500;
/** `device:state` goes out at most once per window per device; the latest state at the end of the window. */
export const STATE_WINDOW_MS = 5000;
const STATE_SWEEP_MS = 250;

/** A view with what this node has not written yet (last_seen, reported state) merged in, when newer. */
function withUnwritten(view: DeviceView, seen: LastSeen | undefined): DeviceView {
  if (!seen) return view;
  const d = view.device;
  const fresh = { ...d };
  if (!d.lastSeenAt || seen.at > d.lastSeenAt) Object.assign(fresh, { lastSeenAt: seen.at, lastSeenIp: seen.ip });
  if (seen.state) fresh.state = { ...d.state, ...seen.state };
  return { ...view, device: fresh };
}

type Deps = Pick<Services, 'config' | 'logger' | 'metrics' | 'tokens' | 'devices' | 'policy' | 'events'>;

/**
 * Dashboard events, sent to the merchant's room through the adapter (so every node's dashboards get them):
 * `{device}` with the full presented Device, plus `reason` for `device:offline`.
 */
export class DashboardFeed {
  /** Devices whose `device:state` went out within the window: when, and the state still to send at its end. */
  private readonly stateSent = new Map<number, { at: number; merchantId: number; pending?: DeviceState }>();
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly nsp: DashboardNamespace,
    private readonly deps: Deps,
    private readonly unwrittenLastSeen: (deviceId: number) => LastSeen | undefined,
  ) {}

  /** `online` overrides the presence lookup for the transitions this node has just decided. */
  async send(event: DashboardDeviceEvent, rows: TerminalDevice[], opts: { online?: boolean } = {}): Promise<void> {
    const views = await this.deps.devices.views(rows);
    this.emit(
      event,
      views.map((v) => ({ ...v, online: opts.online ?? v.online })),
    );
  }

  /**
   * Emits views the caller already has (a connecting socket knows its store code and that it is online). Online and
   * offline are presence transitions this node announces (once cluster-wide): they are published as
   * `device.presence` too, for webhooks and offline alerts.
   */
  emit(event: DashboardDeviceEvent, views: DeviceView[], reason?: OfflineReason): void {
    for (const view of views) {
      const fresh = withUnwritten(view, this.unwrittenLastSeen(view.device.id));
      const device = presentDevice(fresh, this.deps.config.expiryWarningDays);
      const room = this.nsp.to(merchantRoom(device.merchant_id));
      if (event === 'device:offline') {
        const why = reason ?? 'client_disconnect';
        room.emit(event, { device, reason: why });
        this.deps.events.emit('device.presence', { device, row: view.device, online: false, reason: why });
      } else {
        room.emit(event, { device });
        if (event === 'device:online')
          this.deps.events.emit('device.presence', { device, row: view.device, online: true });
      }
    }
  }

  /** `device:offline_alert {device, offline_since}` to the device's merchant. */
  async offlineAlert(row: TerminalDevice, offlineSince: Date): Promise<void> {
    const [view] = await this.deps.devices.views([row]);
    const device = presentDevice(view, this.deps.config.expiryWarningDays);
    this.nsp
      .to(merchantRoom(device.merchant_id))
      .emit('device:offline_alert', { device, offline_since: offlineSince.toISOString() });
  }

  /** `command:updated {command}` to the command's merchant. */
  commandUpdated(command: DeviceCommand): void {
    this.nsp.to(merchantRoom(command.merchantId)).emit('command:updated', { command: presentCommand(command) });
  }

  /**
   * `device:state {device_id, state}`: at once if none went out for this device within the window, else the latest
   * state at the end of the window. One interval sweeps the devices in a window, and stops when there are none.
   */
  state(device: Pick<TerminalDevice, 'id' | 'merchantId'>, state: DeviceState): void {
    if (this.stopped) return;
    const now = Date.now();
    const sent = this.stateSent.get(device.id);
    if (sent && now - sent.at < STATE_WINDOW_MS) {
      sent.pending = state;
      return;
    }
    this.stateSent.set(device.id, { at: now, merchantId: device.merchantId });
    this.sendState(device.id, device.merchantId, state);
    this.sweeper ??= setInterval(() => this.sweep(), STATE_SWEEP_MS).unref();
  }

  /** Drops what is still to send and stops the sweeps (the server is closing). */
  stopStates(): void {
    this.stopped = true;
    this.stateSent.clear();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, sent] of this.stateSent) {
      if (now - sent.at < STATE_WINDOW_MS) continue;
      if (!sent.pending) {
        this.stateSent.delete(id);
        continue;
      }
      this.sendState(id, sent.merchantId, sent.pending);
      sent.at = now;
      sent.pending = undefined;
    }
    if (this.stateSent.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sendState(deviceId: number, merchantId: number, state: DeviceState): void {
    try {
      this.nsp.to(merchantRoom(merchantId)).emit('device:state', { device_id: deviceId, state });
    } catch (err) {
      this.deps.logger.warn({ err }, 'device:state not sent');
    }
  }

  /** Announces devices known by id only (presence transitions), read in chunks. */
  async sendByIds(event: DashboardDeviceEvent, deviceIds: number[], opts: { online: boolean; reason?: OfflineReason }) {
    const views = await this.deps.devices.viewsByIds(deviceIds);
    this.emit(
      event,
      views.map((v) => ({ ...v, online: opts.online })),
      opts.reason,
    );
  }
}

/**
 * `/dashboard`: user tokens only (a device token is FORBIDDEN; store staff too, they cannot manage devices).
 * A merchant user is in its merchant's room from the start; an admin sends `subscribe {merchant_id}` to watch one
 * merchant (a merchant may send it for its own merchant). The ack is `{items: [Device], total}` or `{error}`.
 * The socket is dropped when the user token expires (`expired {code: "TOKEN_EXPIRED"}` first).
 */
export function dashboardNamespace(
  io: Server,
  deps: Deps,
  door: Pick<HandshakeDeps, 'handshakes' | 'guard' | 'timeoutMs'> & { events: EventLimiter },
  unwrittenLastSeen: (id: number) => LastSeen | undefined,
): DashboardFeed {
  const { policy, devices, logger } = deps;
  const days = deps.config.expiryWarningDays;
  const nsp: DashboardNamespace = io.of('/dashboard');
  const connected = deps.metrics.gauge('realtime_dashboard_sockets', 'Dashboard sockets connected to this node');

  authenticateSockets(nsp, { tokens: deps.tokens, logger, ...door }, (principal, token) => {
    if (!policy.canWatchDevices(principal)) throw new AppError('FORBIDDEN');
    return { user: principal, expiresAt: new Date(Number(decodeJwt(token).exp) * 1000) };
  });

  nsp.on('connection', (socket) => {
    const { user } = socket.data;
    if (user.role === 'merchant') void socket.join(merchantRoom(user.merchantId));
    connected.inc();
    door.events.apply(socket, nsp.name);
    const cancelExpiry = runAt(socket.data.expiresAt, () => {
      socket.emit('expired', socketError(new AppError('TOKEN_EXPIRED'), logger));
      socket.disconnect(true);
    });
    socket.on('disconnect', () => {
      connected.dec();
      cancelExpiry();
    });

    socket.on('subscribe', async (payload: unknown, ack: (answer: SubscribeAck) => void) => {
      if (typeof ack !== 'function') return;
      try {
        const merchantId = await withDeadline(
          policy.dashboardMerchant(user, subscribeBody.parse(payload).merchant_id),
          door.timeoutMs,
        );
        for (const room of socket.rooms) if (room.startsWith('merchant:')) void socket.leave(room);
        void socket.join(merchantRoom(merchantId));
        const list = devices.list(merchantId, { limit: ACK_LIMIT, offset: 0 });
        const { items, total } = await withDeadline(list, door.timeoutMs);
        // Like REST: what is stored (unwritten last_seen and state show after the next flush).
        ack({ items: items.map((v) => presentDevice(v, days)), total });
      } catch (err) {
        ack({ error: socketError(err, logger) });
      }
    });
  });

  const feed = new DashboardFeed(nsp, deps, unwrittenLastSeen);
  // io.close() closes the adapter: no coalesced device:state goes out after that (the Redis client may be gone).
  const closeAdapter = nsp.adapter.close.bind(nsp.adapter);
  nsp.adapter.close = () => {
    feed.stopStates();
    return closeAdapter();
  };
  return feed;
}
