import { deviceActor } from '../auth/actor';
import { presentCommand } from '../commands/presenter';
import { commandResultPayload } from '../commands/schemas';
import type { CommandService } from '../commands/service';
import type { DeviceCommand } from '../commands/entities';
import type { Logger } from '../logger';
import type { DeviceSocket, DevicesNamespace } from './devices';
import { RecentlySeen } from './recently-seen';
import type { CommandResultAck } from './socket-events';
import { socketError } from './handshake';

/** How long a tablet has to acknowledge receipt of a command before it stays `sent` (redelivered on reconnect). */
const ACK_TIMEOUT_MS = 10_000;
/** How long an announced command is remembered: longer than a handshake can take (its deadline). */
const ANNOUNCED_MEMORY_MS = 60_000;

/**
 * Commands on `/devices` (§9): `command` with an acknowledgement (→ `delivered`), `command:result` (→ `succeeded` or
 * `failed`), redelivery after every (re)connect once `session` is out. Delivery is at least once: a tablet ignores
 * an id it has already run. A command stored on any node reaches the socket on any node (`serverSideEmit`).
 */
export class CommandChannel {
  constructor(
    private readonly nsp: DevicesNamespace,
    private readonly commands: CommandService,
    private readonly logger: Logger,
    private readonly cluster: boolean,
  ) {
    nsp.on('command', (id, deviceId) => void this.deliverHere(id, deviceId));
  }

  /**
   * Devices with a command announced since (ms): a socket whose token check began before may have been told "no
   * command waits" and not yet be counted (so `sendToLocalSockets` skipped it); it reads its commands after all.
   */
  private readonly announced = new RecentlySeen<true>(ANNOUNCED_MEMORY_MS);

  /** A new command: to this node's sockets of the device, and through the adapter to the other nodes'. */
  deliver(command: DeviceCommand): void {
    this.announced.set(command.deviceId, true);
    this.sendToLocalSockets(command);
    if (this.cluster) this.nsp.serverSideEmit('command', command.id, command.deviceId);
  }

  /** Whether a command for the device was announced on this node at or after `since` (ms). */
  announcedSince(deviceId: number, since: number): boolean {
    return Boolean(this.announced.since(deviceId, since));
  }

  /** After `session`: the device's unfinished commands without a result, oldest first. */
  async deliverPending(socket: DeviceSocket): Promise<void> {
    for (const command of await this.commands.pendingFor(socket.data.device.id)) await this.send(socket, command);
  }

  /** `command:result` from the tablet, answered `{status}` or `{error}`. */
  async result(socket: DeviceSocket, payload: unknown, ack: unknown): Promise<void> {
    if (typeof ack !== 'function') return;
    const answer = ack as (answer: CommandResultAck) => void;
    try {
      const r = commandResultPayload.parse(payload);
      const { device, ip } = socket.data;
      const command = await this.commands.complete(device.id, r.id, r, deviceActor(device.id, ip));
      answer({ status: command.status });
    } catch (err) {
      answer({ error: socketError(err, this.logger) });
    }
  }

  /** Another node stored a command: read it only when a socket of its device is here. */
  private async deliverHere(commandId: number, deviceId: number): Promise<void> {
    this.announced.set(deviceId, true);
    if (!this.nsp.adapter.rooms.get(`device:${deviceId}`)?.size) return;
    const command = await this.commands.byId(commandId).catch(() => null);
    if (command) this.sendToLocalSockets(command);
  }

  private sendToLocalSockets(command: DeviceCommand): void {
    for (const id of this.nsp.adapter.rooms.get(`device:${command.deviceId}`) ?? []) {
      const socket = this.nsp.sockets.get(id);
      if (socket?.data.counted) void this.send(socket, command);
    }
  }

  /** `sent` is written before the emit, so an acknowledgement can never overtake it. */
  private async send(socket: DeviceSocket, command: DeviceCommand): Promise<void> {
    const { id, type, args, expires_at } = presentCommand(command);
    await this.commands.markSent(command).catch((err) => this.logger.warn({ err }, 'command not marked sent'));
    if (!socket.connected) return;
    socket.timeout(ACK_TIMEOUT_MS).emit('command', { id, type, args, expires_at }, (err: Error | null) => {
      if (err) return; // no acknowledgement in time: it stays `sent` and goes out again on the next connect
      void this.commands.markDelivered(command).catch((e) => this.logger.warn({ err: e }, 'command not delivered'));
    });
  }
}
