import type { DataSource, EntityMetadata, SelectQueryBuilder } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { DriverUtils } from 'typeorm/driver/DriverUtils';
import { TerminalDevice } from '../devices/entities';
import { unavailable } from '../errors';
import { Merchant, Store } from '../tenancy/entities';

export interface DeviceTokenRow {
  device: TerminalDevice;
  store: Store;
  merchant: Merchant;
  /** Asked by a socket handshake only: whether unfinished commands wait (index device_id, status). */
  pendingCommands: boolean;
}

/** Stand-ins for the parameters while the statement is built: their places in the driver's list are learnt once. */
const JTI = '\u0000jti';
const NOW = '\u0000now';

interface SqliteStatement {
  get(...params: unknown[]): unknown;
}
interface SqliteConnection {
  open: boolean;
  prepare(sql: string): SqliteStatement;
}

interface Compiled {
  sql: string;
  params: ('jti' | 'now')[];
  hydrate: (raw: Record<string, unknown>) => Omit<DeviceTokenRow, 'pendingCommands'>;
  /** What `:now` is compared with (`previous_jti_until`, a command's `expires_at`): converted as for that column. */
  nowColumn: ColumnMetadata;
  /** SQLite: better-sqlite3's own prepared statement, made at the first use on the connection it belongs to. */
  sqlite?: { on: SqliteConnection; statement: SqliteStatement };
}

/**
 * The device-token check's one read (device by `jti` or by a previous `jti` still in its grace, with its store and
 * merchant; for a socket, whether commands wait), built by the query builder once per data source and run as plain
 * SQL afterwards. Every REST call of a tablet and every socket handshake makes it: building the statement and
 * turning rows into entities through the query builder took ~60 % of its time. The rows are hydrated with the
 * driver's own conversions of each column (dates, JSON, booleans, transformers), as the query builder would. On
 * SQLite the statement is better-sqlite3's own, prepared once: TypeORM's query runner around an in-process read
 * (a runner per call, its events, its statement cache, the parameters escaped) cost about as much as the read.
 * Errors are the driver's (their codes map as usual; they carry no parameter).
 */
export class DeviceTokenLookup {
  private readonly compiled = new Map<boolean, Compiled>();

  constructor(private readonly db: DataSource) {}

  async find(jti: string, now: Date, opts: { socket?: boolean } = {}): Promise<DeviceTokenRow | null> {
    const socket = Boolean(opts.socket);
    const c = this.compiled.get(socket) ?? this.compile(socket);
    const nowParam = this.db.driver.preparePersistentValue(now, c.nowColumn);
    const params = c.params.map((p) => (p === 'jti' ? jti : nowParam));
    const row = (
      this.db.options.type === 'better-sqlite3'
        ? this.sqlite(c).get(...params)
        : (await this.db.query(c.sql, params))[0]
    ) as Record<string, unknown> | undefined;
    if (!row) return null;
    return { ...c.hydrate(row), pendingCommands: Number(row.pending_commands) === 1 };
  }

  /** The statement on the data source's open connection (a closed one: the server is stopping, 503). */
  private sqlite(c: Compiled): SqliteStatement {
    const connection = (this.db.driver as unknown as { databaseConnection?: SqliteConnection }).databaseConnection;
    if (!connection?.open) throw unavailable();
    if (c.sqlite?.on !== connection) c.sqlite = { on: connection, statement: connection.prepare(c.sql) };
    return c.sqlite.statement;
  }

  private compile(socket: boolean): Compiled {
    const qb = this.db
      .getRepository(TerminalDevice)
      .createQueryBuilder('d')
      .innerJoinAndMapOne('d.store', Store, 's', 's.id = d.storeId')
      .innerJoinAndMapOne('d.merchant', Merchant, 'm', 'm.id = s.merchantId')
      .where('(d.jti = :jti OR (d.previousJti = :jti AND d.previousJtiUntil > :now))', { jti: JTI, now: NOW });
    if (socket)
      qb.addSelect(
        `CASE WHEN EXISTS (SELECT 1 FROM device_commands c WHERE c.device_id = d.id AND c.status IN ('queued', 'sent', 'delivered') AND c.expires_at > :now) THEN 1 ELSE 0 END`,
        'pending_commands',
      );
    qb.limit(1);
    const [sql, values] = qb.getQueryAndParameters();
    const params = values.map((v) => {
      if (v === JTI) return 'jti' as const;
      if (v === NOW) return 'now' as const;
      throw new Error(`device token lookup: unexpected parameter ${String(v)}`);
    });
    const device = this.hydrator<TerminalDevice>(qb, 'd');
    const store = this.hydrator<Store>(qb, 's');
    const merchant = this.hydrator<Merchant>(qb, 'm');
    const compiled: Compiled = {
      sql,
      params,
      nowColumn: this.db.getMetadata(TerminalDevice).findColumnWithPropertyName('previousJtiUntil')!,
      hydrate: (raw) => ({ device: device(raw), store: store(raw), merchant: merchant(raw) }),
    };
    this.compiled.set(socket, compiled);
    return compiled;
  }

  /** An entity of `alias` from a raw row: each column under the query builder's own alias, converted by the driver. */
  private hydrator<T>(qb: SelectQueryBuilder<TerminalDevice>, alias: string): (raw: Record<string, unknown>) => T {
    const metadata: EntityMetadata = qb.expressionMap.findAliasByName(alias).metadata;
    const { driver } = this.db;
    const columns = metadata.columns.map((column) => ({
      column,
      key: DriverUtils.buildAlias(driver, undefined, alias, column.databaseName),
    }));
    return (raw: Record<string, unknown>) => {
      const entity = metadata.create() as Record<string, unknown>;
      for (const { column, key } of columns)
        entity[column.propertyName] = driver.prepareHydratedValue(raw[key], column);
      return entity as T;
    };
  }
}
