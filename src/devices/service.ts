import { randomUUID } from 'node:crypto';
import {
  And,
  type DataSource,
  type EntityManager,
  type FindOptionsWhere,
  In,
  IsNull,
  LessThanOrEqual,
  MoreThan,
  Not,
} from 'typeorm';
import type { Actor } from '../auth/actor';
import type { Tokens } from '../auth/tokens';
import { transaction } from '../db/transaction';
import { conflict, notFound } from '../errors';
import type { EventBus, RevokedDevice } from '../events';
import type { TenancyService } from '../tenancy/service';
import type { DeviceStatus, DeviceView } from './domain';
import { newDeviceRow, TerminalDevice } from './entities';
import type { PresenceReader } from './presence-reader';
import type { DeviceState, Pairing } from './schemas';
import { qrPayload, qrPng } from './qr';

export interface DeviceFilter {
  storeId?: number;
  status?: DeviceStatus;
  limit: number;
  offset: number;
}

/** The latest activity of a connected device, as the socket layer batches it. */
export interface LastSeen {
  at: Date;
  ip: string | null;
  /** State reported since the last write: merged into the stored state (fields not reported are kept). */
  state?: DeviceState;
}

/** Devices seen at the same moment from the same address, with no state to merge (connected devices at a flush). */
export interface SeenAlike {
  at: Date;
  ip: string | null;
  ids: number[];
}

interface DeviceServiceConfig {
  publicUrl: string;
  deviceTokenTtlMs: number;
}

/** How long a renewed device's previous token stays valid if the new one is not used. */
export const RENEWAL_GRACE_MS = 24 * 3_600_000;

/** Rows per statement of the batched writes: far below SQLite's and MySQL's parameter limits. */
export const CHUNK = 500;
/** Devices seen alike (same time, same address, no state) written by one plain UPDATE when at least this many. */
const ALIKE_MIN = 10;

/**
 * Pairing, listing, renaming, revoking and reissuing terminal devices. Every method that a portal calls takes the
 * merchant id and scopes every query to it: another merchant's device or store is 404, never a hint that it exists.
 * The methods for realtime and jobs (views by ids, token state, last_seen, the expiry flag) act on ids they got from
 * an authenticated device or from this service.
 */
export class DeviceService {
  constructor(
    private readonly db: DataSource,
    private readonly tokens: Tokens,
    private readonly events: EventBus,
    private readonly config: DeviceServiceConfig,
    private readonly presence: PresenceReader,
    private readonly tenancy: TenancyService,
  ) {}

  private get repo() {
    return this.db.getRepository(TerminalDevice);
  }

  async list(merchantId: number, f: DeviceFilter): Promise<{ items: DeviceView[]; total: number }> {
    const where: FindOptionsWhere<TerminalDevice> = { merchantId, ...(f.storeId ? { storeId: f.storeId } : {}) };
    const now = new Date();
    if (f.status === 'revoked') where.revokedAt = Not(IsNull());
    if (f.status === 'active') Object.assign(where, { revokedAt: IsNull(), expiresAt: MoreThan(now) });
    if (f.status === 'expired') Object.assign(where, { revokedAt: IsNull(), expiresAt: LessThanOrEqual(now) });
    const [devices, total] = await this.repo.findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      take: f.limit,
      skip: f.offset,
    });
    return { items: await this.views(devices), total };
  }

  async get(merchantId: number, deviceId: number): Promise<DeviceView> {
    return (await this.views([await this.find(merchantId, deviceId)]))[0];
  }

  /**
   * Views of rows the caller holds (realtime and jobs), with store codes and presence. Inside a transaction, pass
   * its manager: a second connection from the pool while the transaction holds one can starve the pool.
   */
  async views(devices: TerminalDevice[], m?: EntityManager): Promise<DeviceView[]> {
    if (devices.length === 0) return [];
    const [codes, online] = await Promise.all([
      this.tenancy.storeCodes([...new Set(devices.map((d) => d.storeId))], m),
      this.presence.onlineDeviceIds(devices.map((d) => d.id)),
    ]);
    return devices.map((device) => ({
      device,
      storeCode: codes.get(device.storeId) ?? '',
      online: online.has(device.id),
    }));
  }

  /** Views of devices by id (presence transitions name ids only), read in chunks. */
  async viewsByIds(deviceIds: number[]): Promise<DeviceView[]> {
    const out: DeviceView[] = [];
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      out.push(...(await this.views(await this.repo.findBy({ id: In(deviceIds.slice(i, i + CHUNK)) }))));
    }
    return out;
  }

  async pair(
    merchantId: number,
    actor: Actor,
    input: { storeId: number; label: string },
  ): Promise<{ view: DeviceView; pairing: Pairing }> {
    const store = await this.tenancy.getStore(merchantId, input.storeId);
    const now = new Date();
    const device = await transaction(this.db, async (m) => {
      const repo = m.getRepository(TerminalDevice);
      const row = newDeviceRow({
        merchantId,
        storeId: store.id,
        label: input.label,
        createdById: actor.id ?? 0,
        expiresAt: this.newExpiry(now),
        now,
      });
      const saved = await repo.save(repo.create(row));
      await this.events.record(m, 'device.paired', { device: saved, actor });
      return saved;
    });
    const pairing = await this.pairing(device, store.code);
    this.events.emit('device.paired', { device });
    return { view: { device, storeCode: store.code, online: false }, pairing };
  }

  async rename(merchantId: number, deviceId: number, label: string, actor: Actor): Promise<DeviceView> {
    const device = await this.find(merchantId, deviceId);
    if (device.label !== label) {
      const from = device.label;
      device.label = label;
      device.updatedAt = new Date();
      await transaction(this.db, async (m) => {
        await m
          .getRepository(TerminalDevice)
          .update({ id: device.id, merchantId }, { label, updatedAt: device.updatedAt });
        await this.events.record(m, 'device.renamed', { device, actor, from });
      });
      this.events.emit('device.updated', { device });
    }
    return (await this.views([device]))[0];
  }

  /**
   * Idempotent: only the first call sets revoked_at, the actor and the reason; later calls return the same device.
   * Every round trip before the commit delays the drop, so the revoke reads nothing first: the merchant's webhook
   * endpoints are read alongside (`events.ahead`), then the conditional UPDATE, the audit row (and the outbox rows
   * if an endpoint subscribes) and the COMMIT; the row is read after the drop has gone out. No row changed: already
   * revoked (the first revoke's view), or another merchant's device or none (404).
   */
  async revoke(merchantId: number, deviceId: number, actor: Actor, reason: string | undefined): Promise<DeviceView> {
    const now = new Date();
    const device: RevokedDevice = { id: deviceId, merchantId, revokedReason: reason || null };
    const ahead = await this.events.ahead('device.revoked', { merchantId });
    const revoked = await transaction(this.db, async (m) => {
      const repo = m.getRepository(TerminalDevice);
      const res = await repo.update(
        { id: deviceId, merchantId, revokedAt: IsNull() },
        { revokedAt: now, revokedById: actor.id, revokedReason: device.revokedReason, updatedAt: now },
      );
      if (!res.affected) return false;
      const view = () => this.revokedView(merchantId, deviceId, m);
      await this.events.record(m, 'device.revoked', { device, actor, view }, ahead);
      return true;
    });
    if (!revoked) return this.get(merchantId, deviceId);
    let read: Promise<DeviceView> | undefined; // dashboards and the answer share one read, made after the drop
    const view = () => (read ??= this.revokedView(merchantId, deviceId));
    this.events.emit('device.revoked', { device, actor, view });
    return view();
  }

  /** A device just revoked: its sockets are being dropped, so offline whatever presence has not caught up on. */
  private async revokedView(merchantId: number, deviceId: number, m?: EntityManager): Promise<DeviceView> {
    const row = await (m ?? this.db.manager)
      .getRepository(TerminalDevice)
      .findOneByOrFail({ id: deviceId, merchantId });
    return { ...(await this.views([row], m))[0], online: false };
  }

  /**
   * Renewal without a new device: a new jti and expiry on the same row, so the old token is refused at once
   * (its jti no longer matches any row) and the device keeps its id, label and history. A token in a renewal's
   * grace (`previous_jti`) is refused too.
   */
  async reissue(merchantId: number, deviceId: number, actor: Actor): Promise<{ view: DeviceView; pairing: Pairing }> {
    const device = await this.find(merchantId, deviceId);
    if (device.revokedAt) throw conflict('device_revoked');
    const previousJti = device.jti;
    // A renewal's previous token, still in its grace, goes too: a reissue refuses every earlier token at once.
    const graceJti = device.previousJti;
    const now = new Date();
    const changes = {
      jti: randomUUID(),
      expiresAt: this.newExpiry(now),
      previousJti: null,
      previousJtiUntil: null,
      expiryWarnedAt: null,
      updatedAt: now,
    };
    await this.replaceToken(device, changes, 'device.reissued', actor);
    const [view] = await this.views([device]);
    const pairing = await this.pairing(device, view.storeCode);
    this.events.emit('device.reissued', { device, previousJti });
    if (graceJti) this.events.emit('device.previous_token_retired', { device, previousJti: graceJti });
    return { view, pairing };
  }

  /**
   * A device renews its own token (no re-pairing): a new jti and expiry on the same row, the expiry flag cleared.
   * The token it replaces stays valid as `previous_jti` until the new one is first used or `RENEWAL_GRACE_MS` pass.
   * If the current token was never used (an earlier renewal whose answer was lost), it is dropped and the previous
   * one kept, with its original deadline: a renewal replaces an unused renewal, never extends the grace. The UPDATE
   * is conditional on the jti and previous_jti read, so of two concurrent renewals one wins, the other is 409.
   */
  async renew(deviceId: number, actor: Actor): Promise<{ device: TerminalDevice; token: string; storeCode: string }> {
    const device = await this.repo.findOneBy({ id: deviceId });
    if (!device) throw notFound();
    if (device.revokedAt) throw conflict('device_revoked');
    const now = new Date();
    const unused = device.previousJti && device.previousJtiUntil && device.previousJtiUntil > now;
    const previousJti = unused ? device.previousJti! : device.jti;
    const changes = {
      jti: randomUUID(),
      expiresAt: this.newExpiry(now),
      previousJti,
      previousJtiUntil: unused ? device.previousJtiUntil : new Date(now.getTime() + RENEWAL_GRACE_MS),
      expiryWarnedAt: null,
      updatedAt: now,
    };
    await this.replaceToken(device, changes, 'device.token_renewed', actor);
    const [storeCode] = (await this.tenancy.storeCodes([device.storeId])).values();
    const token = await this.tokens.createDeviceToken(device, storeCode ?? '');
    this.events.emit('device.renewed', { device, previousJti });
    return { device, token, storeCode: storeCode ?? '' };
  }

  /**
   * Writes batched last_seen values, so a device costs at most one row write per flush however chatty its socket
   * is. Devices seen at the same moment from the same address with no state to merge (the connected devices a
   * flush counts seen share its time, and tablets of a store share their NAT address) are written by
   * `UPDATE … SET last_seen_at = ?, last_seen_ip = ? WHERE id IN (…)`, one statement per chunk; the others by one
   * `UPDATE … CASE id …` per chunk (its cost grows with the square of the chunk: a branch per device, tried per row).
   */
  async recordLastSeen(
    batch: [deviceId: number, seen: LastSeen][],
    /** After each statement, with its row count; awaited (the batcher spaces its statements out with it). */
    onChunk?: (rows: number) => void | Promise<void>,
    /** Devices already grouped as alike by the caller (written as the batch's alike ones are). */
    seenAlike: SeenAlike[] = [],
  ): Promise<void> {
    const meta = this.db.getMetadata(TerminalDevice);
    const atColumn = meta.findColumnWithPropertyName('lastSeenAt')!;
    const toDb = (d: Date) => this.db.driver.preparePersistentValue(d, atColumn);
    const alike = new Map<string, SeenAlike>();
    // One value per device in the CASE statements, the batch's over the caller's groups (a device touched after a
    // flush counted it seen is in both, and its touch is the newer), its state reports last of all.
    const each = new Map<number, LastSeen>();
    const reports: [number, LastSeen][] = [];
    for (const entry of batch) {
      const [id, seen] = entry;
      if (seen.state) {
        reports.push(entry);
        continue;
      }
      const key = `${seen.at.getTime()} ${seen.ip}`;
      const group = alike.get(key);
      if (group) group.ids.push(id);
      else alike.set(key, { at: seen.at, ip: seen.ip, ids: [id] });
    }
    for (const { at, ip, ids } of [...seenAlike, ...alike.values()]) {
      if (ids.length < ALIKE_MIN) {
        const seen = { at, ip };
        for (const id of ids) each.set(id, seen);
        continue;
      }
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        await this.db.query(
          `UPDATE ${meta.tableName} SET last_seen_at = ?, last_seen_ip = ? WHERE id IN (${chunk.map(() => '?').join(', ')})`,
          [toDb(at), ip, ...chunk],
        );
        await onChunk?.(chunk.length);
      }
    }
    // Reported state is a JSON merge patch over the stored state (never null values): SQLite's json_patch and
    // MySQL/MariaDB's JSON_MERGE_PATCH keep the fields a report left out, whichever node wrote them.
    const patch = this.db.options.type === 'mysql' ? 'JSON_MERGE_PATCH' : 'json_patch';
    for (const [id, seen] of reports) each.set(id, seen);
    const rows = [...each];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      const whens = chunk.map(() => 'WHEN ? THEN ?').join(' ');
      const reported = chunk.filter(([, s]) => s.state);
      const stateWhens = reported.map(() => `WHEN ? THEN ${patch}(COALESCE(state, '{}'), ?)`).join(' ');
      const sql =
        `UPDATE ${meta.tableName} SET last_seen_at = CASE id ${whens} END, last_seen_ip = CASE id ${whens} END` +
        (reported.length ? `, state = CASE id ${stateWhens} ELSE state END` : '') +
        ` WHERE id IN (${chunk.map(() => '?').join(', ')})`;
      const params = [
        ...chunk.flatMap(([id, s]) => [id, toDb(s.at)]),
        ...chunk.flatMap(([id, s]) => [id, s.ip]),
        ...reported.flatMap(([id, s]) => [id, JSON.stringify(s.state)]),
        ...chunk.map(([id]) => id),
      ];
      await this.db.query(sql, params);
      await onChunk?.(chunk.length);
    }
  }

  /**
   * Flags every active device whose expiry falls within the warning window and is not flagged yet: sets
   * `expiry_warned_at` and publishes `device.expiring`. Works in pages by id. Each row is flagged by a conditional
   * UPDATE (`… WHERE expiry_warned_at IS NULL AND jti = :jti`), so overlapping runs, or runs on several nodes, flag
   * a device once per token, and only the run that flagged it publishes the event. Returns the ids flagged.
   */
  async flagExpiring(warningDays: number, now = new Date()): Promise<number[]> {
    const until = new Date(now.getTime() + warningDays * 86_400_000);
    const flagged: number[] = [];
    let lastId = 0;
    for (;;) {
      const page = await this.repo.find({
        where: {
          id: MoreThan(lastId),
          revokedAt: IsNull(),
          expiryWarnedAt: IsNull(),
          expiresAt: And(MoreThan(now), LessThanOrEqual(until)),
        },
        order: { id: 'ASC' },
        take: CHUNK,
      });
      for (const device of page) {
        // The flag and what records it (audit entry, webhook event) commit together.
        const flaggedNow = await transaction(this.db, async (m) => {
          const res = await m
            .getRepository(TerminalDevice)
            .update(
              { id: device.id, jti: device.jti, revokedAt: IsNull(), expiryWarnedAt: IsNull() },
              { expiryWarnedAt: now },
            );
          if (res.affected)
            await this.events.record(m, 'device.expiry_flagged', { device: { ...device, expiryWarnedAt: now } });
          return Boolean(res.affected);
        });
        if (!flaggedNow) continue;
        device.expiryWarnedAt = now;
        flagged.push(device.id);
        this.events.emit('device.expiring', { device });
      }
      if (page.length < CHUNK) break;
      lastId = page[page.length - 1].id;
    }
    return flagged;
  }

  /**
   * Writes a new jti (reissue, renewal) only if the row still holds the tokens read (jti and previous_jti) and is
   * unrevoked, and records it in the same transaction; `device` takes the changes. A lost race ends the transaction
   * without a rollback and is refused after it (409 device_changed): on SQLite a rollback would also undo what the
   * shared connection wrote meanwhile.
   */
  private async replaceToken(
    device: TerminalDevice,
    changes: Partial<TerminalDevice>,
    event: 'device.reissued' | 'device.token_renewed',
    actor: Actor,
  ): Promise<void> {
    // Decided before the transaction, which may run twice (a MySQL deadlock's victim is run again).
    const where = {
      id: device.id,
      merchantId: device.merchantId,
      jti: device.jti,
      previousJti: device.previousJti ?? IsNull(),
      revokedAt: IsNull(),
    };
    const replaced = { ...device, ...changes };
    const changed = await transaction(this.db, async (m) => {
      const res = await m.getRepository(TerminalDevice).update(where, changes);
      if (!res.affected) return false;
      await this.events.record(m, event, { device: replaced, actor });
      return true;
    });
    if (!changed) throw conflict('device_changed');
    Object.assign(device, changes);
  }

  private async find(merchantId: number, deviceId: number): Promise<TerminalDevice> {
    const device = await this.repo.findOneBy({ id: deviceId, merchantId });
    if (!device) throw notFound();
    return device;
  }

  /** Whole seconds, so the token's `exp` and the row's `expires_at` are the same instant. */
  private newExpiry(now: Date): Date {
    return new Date(Math.floor((now.getTime() + this.config.deviceTokenTtlMs) / 1000) * 1000);
  }

  private async pairing(device: TerminalDevice, storeCode: string): Promise<Pairing> {
    const token = await this.tokens.createDeviceToken(device, storeCode);
    const payload = qrPayload(this.config.publicUrl, storeCode, token);
    const png = await qrPng(payload);
    return {
      auth_token: token,
      expires_at: device.expiresAt.toISOString(),
      qr: { payload, png_base64: png.toString('base64') },
    };
  }
}
