import { createHash } from 'node:crypto';
import { type DataSource, type EntityManager, In, LessThanOrEqual, MoreThan } from 'typeorm';
import { type Actor, SYSTEM_ACTOR } from '../auth/actor';
import { isUniqueViolation } from '../db/errors';
import { transaction } from '../db/transaction';
import { deviceStatus } from '../devices/domain';
import type { DeviceService } from '../devices/service';
import { AppError, conflict, notFound } from '../errors';
import type { EventBus } from '../events';
import { type CommandStatus, DeviceCommand, UNFINISHED } from './entities';
import type { CreateCommand } from './schemas';

/** Unfinished commands a device may have at once. */
export const MAX_UNFINISHED = 50;

export interface CommandResult {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/**
 * Device commands. This service owns every transition, each one conditional UPDATE that only moves a status
 * forward (`… WHERE status IN (…) AND expires_at > now`), so two nodes racing write it once; every change publishes
 * `command.updated` (and a new command `command.created`, which realtime delivers).
 */
export class CommandService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventBus,
    private readonly devices: Pick<DeviceService, 'get'>,
  ) {}

  private get repo() {
    return this.db.getRepository(DeviceCommand);
  }

  /** Stores a command for an active device of this merchant; the same Idempotency-Key and request replays it. */
  async create(
    merchantId: number,
    deviceId: number,
    actor: Actor,
    input: CreateCommand,
    key?: string,
  ): Promise<{ command: DeviceCommand; replayed: boolean }> {
    const { device } = await this.devices.get(merchantId, deviceId);
    const status = deviceStatus(device);
    if (status !== 'active') throw conflict(`device_${status}`);
    const requestHash = key ? createHash('sha256').update(JSON.stringify(input)).digest('hex') : null;
    if (key) {
      const earlier = await this.repo.findOneBy({ deviceId, idempotencyKey: key });
      if (earlier) return this.replay(earlier, requestHash);
    }
    const now = new Date();
    const unfinished = await this.repo.countBy({ deviceId, status: In(UNFINISHED), expiresAt: MoreThan(now) });
    if (unfinished >= MAX_UNFINISHED) throw conflict('too_many_unfinished');
    const row = this.repo.create({
      merchantId,
      deviceId,
      type: input.type,
      args: JSON.stringify(input.args),
      status: 'queued',
      result: null,
      error: null,
      idempotencyKey: key ?? null,
      requestHash,
      createdAt: now,
      createdById: actor.kind === 'user' ? actor.id : null,
      sentAt: null,
      deliveredAt: null,
      completedAt: null,
      expiresAt: new Date(now.getTime() + input.ttl_s * 1000),
    });
    let command: DeviceCommand;
    try {
      command = await transaction(this.db, async (m) => {
        // A fresh entity per run: the transaction may run twice (a MySQL deadlock's victim is run again).
        const saved = await m.getRepository(DeviceCommand).save(m.getRepository(DeviceCommand).create(row));
        await this.events.record(m, 'command.created', { command: saved, actor });
        return saved;
      });
    } catch (err) {
      if (!key || !isUniqueViolation(err)) throw err;
      return this.replay(await this.repo.findOneByOrFail({ deviceId, idempotencyKey: key }), requestHash);
    }
    this.events.emit('command.created', { command });
    this.events.emit('command.updated', { command });
    return { command, replayed: false };
  }

  list(merchantId: number, deviceId: number, q: { status?: CommandStatus; limit: number }) {
    return this.repo.find({
      where: { merchantId, deviceId, ...(q.status ? { status: q.status } : {}) },
      order: { id: 'DESC' },
      take: q.limit,
    });
  }

  async get(merchantId: number, deviceId: number, commandId: number): Promise<DeviceCommand> {
    const command = await this.repo.findOneBy({ id: commandId, merchantId, deviceId });
    if (!command) throw notFound();
    return command;
  }

  /** What a (re)connecting tablet is sent: unfinished, unexpired, without a result, oldest first (one indexed read). */
  pendingFor(deviceId: number): Promise<DeviceCommand[]> {
    return this.repo.find({
      where: { deviceId, status: In(UNFINISHED), expiresAt: MoreThan(new Date()) },
      order: { id: 'ASC' },
      take: MAX_UNFINISHED,
    });
  }

  byId(commandId: number): Promise<DeviceCommand | null> {
    return this.repo.findOneBy({ id: commandId });
  }

  /** Emitted to a socket of the device. */
  markSent(command: DeviceCommand): Promise<DeviceCommand | null> {
    return this.move(command.id, command.deviceId, ['queued'], { status: 'sent', sentAt: new Date() });
  }

  /** The tablet acknowledged receipt. */
  markDelivered(command: DeviceCommand): Promise<DeviceCommand | null> {
    return this.move(command.id, command.deviceId, ['queued', 'sent'], {
      status: 'delivered',
      deliveredAt: new Date(),
    });
  }

  /** The tablet's result: succeeded or failed. Another device's, an unknown or a final command changes nothing. */
  async complete(deviceId: number, commandId: number, r: CommandResult, actor: Actor): Promise<DeviceCommand> {
    const changes = {
      status: (r.ok ? 'succeeded' : 'failed') as CommandStatus,
      result: r.result ? JSON.stringify(r.result) : null,
      error: r.error ? JSON.stringify(r.error) : null,
      completedAt: new Date(),
    };
    const moved = await this.move(commandId, deviceId, UNFINISHED, changes, false, actor);
    if (moved) return moved;
    const existing = await this.repo.findOneBy({ id: commandId, deviceId });
    if (!existing) throw notFound();
    throw conflict('command_final');
  }

  /** Cancels a queued or sent command; one past `sent` is 409. */
  async cancel(merchantId: number, deviceId: number, commandId: number, actor: Actor): Promise<DeviceCommand> {
    const command = await this.get(merchantId, deviceId, commandId);
    const changes = { status: 'canceled' as const, completedAt: new Date() };
    const moved = await this.move(command.id, deviceId, ['queued', 'sent'], changes, false, actor);
    if (!moved) throw conflict('command_past_sent');
    return moved;
  }

  /** A revoked device's unfinished commands are canceled, in the name of who revoked it. */
  async cancelAllFor(deviceId: number, actor: Actor): Promise<void> {
    const ids = (await this.repo.find({ where: { deviceId, status: In(UNFINISHED) }, select: { id: true } })).map(
      (c) => c.id,
    );
    for (const id of ids)
      await this.move(id, deviceId, UNFINISHED, { status: 'canceled', completedAt: new Date() }, true, actor);
  }

  /** The sweeper (one node per tick): unfinished commands past their expiry become expired. Returns how many. */
  async expireDue(now = new Date()): Promise<number> {
    const due = await this.repo.find({
      where: { status: In(UNFINISHED), expiresAt: LessThanOrEqual(now) },
      select: { id: true, deviceId: true },
      take: 500,
    });
    let n = 0;
    for (const c of due)
      if (await this.move(c.id, c.deviceId, UNFINISHED, { status: 'expired', completedAt: now }, true, SYSTEM_ACTOR))
        n++;
    return n;
  }

  /**
   * One transition: a conditional UPDATE from one of `from`, and (unless `evenIfExpired`) only before expiry. Returns
   * the row after it, or null when another writer got there first (or the command expired). A move to a final
   * status names who made it (`finishedBy`) and is recorded (`command.finished`) in the same transaction.
   */
  private async move(
    id: number,
    deviceId: number,
    from: CommandStatus[],
    changes: Partial<DeviceCommand>,
    evenIfExpired = false,
    finishedBy?: Actor,
  ): Promise<DeviceCommand | null> {
    const step = async (m: EntityManager) => {
      const qb = m
        .createQueryBuilder()
        .update(DeviceCommand)
        .set(changes)
        .where({ id, deviceId, status: In(from) });
      if (!evenIfExpired) qb.andWhere({ expiresAt: MoreThan(new Date()) });
      const res = await qb.execute();
      if (!res.affected) return null;
      const moved = await m.getRepository(DeviceCommand).findOneByOrFail({ id });
      if (finishedBy) await this.events.record(m, 'command.finished', { command: moved, actor: finishedBy });
      return moved;
    };
    // sent and delivered (the hot path) are one statement and one read, no transaction.
    const command = finishedBy ? await transaction(this.db, step) : await step(this.db.manager);
    if (!command) return null;
    this.events.emit('command.updated', { command });
    return command;
  }

  private replay(earlier: DeviceCommand, requestHash: string | null) {
    if (earlier.requestHash !== requestHash) throw new AppError('IDEMPOTENCY_KEY_REUSED');
    return { command: earlier, replayed: true };
  }
}
