import fs from 'node:fs';
import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { passwordSchema } from './auth/passwords';

/**
 * Loads `.env` from the working folder into process.env, when there is one, before the configuration is read:
 * `npm start` and every operator command call it. A variable already set in the environment wins over the file
 * (process.loadEnvFile never overrides one, even an empty one). Returns the file's path when one was loaded.
 */
export function loadDotEnv(dir = process.cwd()): string | undefined {
  const file = path.resolve(dir, '.env');
  if (!fs.existsSync(file)) return undefined;
  try {
    process.loadEnvFile(file);
  } catch (err) {
    throw new ConfigError(`Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return file;
}

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `40d`, `12h`, `15m`, `500ms`; a bare number is seconds. Returns milliseconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNITS[m[2] ?? 's'];
}

const duration = (min: number) =>
  z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min) {
      ctx.addIssue({ code: 'custom', message: `must be a duration like 90s, 12h or 40d, at least ${min / 1000}s` });
      return z.NEVER;
    }
    return ms;
  });

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be a whole number from ${min} to ${max}`)
        .max(max, `must be a whole number from ${min} to ${max}`),
    );

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

/** `kid:base64url-secret,kid2:secret2`; each secret at least 32 bytes. */
const jwtKeys = z.string().transform((v, ctx) => {
  const keys: { kid: string; secret: Buffer }[] = [];
  for (const part of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = part.indexOf(':');
    const kid = part.slice(0, i);
    const secret = Buffer.from(part.slice(i + 1), 'base64url');
    if (i < 1 || !/^[A-Za-z0-9._-]{1,64}$/.test(kid) || secret.length < 32) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a comma-separated list of kid:secret, each secret base64url of at least 32 bytes',
      });
      return z.NEVER;
    }
    if (keys.some((k) => k.kid === kid)) {
      ctx.addIssue({ code: 'custom', message: `lists the kid "${kid}" twice` });
      return z.NEVER;
    }
    keys.push({ kid, secret });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must name at least one key' });
    return z.NEVER;
  }
  return keys;
});

const trustProxy = z.string().transform((v): boolean | number | string => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v; // an address list or a name express understands ("loopback", "10.0.0.0/8, 127.0.0.1")
});

const schema = z.object({
  PORT: int(0, 65535).default(3000),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATABASE_URL: url(['mysql:', 'mariadb:']).optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  JWT_KEYS: jwtKeys.optional(),
  JWT_ACTIVE_KID: z.string().min(1).optional(),
  DEVICE_TOKEN_TTL: duration(1000).default(365 * 86_400_000),
  USER_TOKEN_TTL: duration(1000).default(12 * 3_600_000),
  EXPIRY_SCAN_CRON: z
    .string()
    .refine((v) => cron.validate(v), 'must be a cron expression (five fields, or six with seconds)')
    .default('0 * * * *'),
  EXPIRY_WARNING_DAYS: int(1, 3650).default(30),
  LAST_SEEN_FLUSH_MS: int(100, 3_600_000).default(15000),
  PRESENCE_TTL_MS: int(1000, 3_600_000).default(30000),
  AUDIT_RETENTION_DAYS: int(1, 36500).default(365),
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false'], 'must be true or false').default('false'),
  WEBHOOK_POLL_MS: int(50, 60_000).default(1000),
  WEBHOOK_RETENTION_DAYS: int(4, 3650).default(30),
  TRUST_PROXY: trustProxy.optional(),
  BOOTSTRAP_ADMIN_EMAIL: z.email('must be an email address').optional(),
  BOOTSTRAP_ADMIN_PASSWORD: passwordSchema.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], 'must be json or pretty').optional(),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/, 'must be a size like 100kb')
    .default('100kb'),
  SOCKET_PING_INTERVAL_MS: int(1000, 600_000).default(8000),
  SOCKET_PING_TIMEOUT_MS: int(1000, 600_000).default(7000),
  SOCKET_MAX_PER_ADDRESS: int(1, 1_000_000).default(200),
  SOCKET_CONNECTS_PER_MINUTE: int(1, 1_000_000).default(600),
  SOCKET_EVENTS_PER_SECOND: int(1, 10_000).default(10),
  PAIRINGS_PER_MINUTE: int(1, 1_000_000).default(30),
  REQUEST_TIMEOUT_MS: int(100, 600_000).default(5000),
  VALIDATE_RESPONSES: z.enum(['true', 'false'], 'must be true or false').default('false'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
});

export type Config = ReturnType<typeof toConfig>;

function toConfig(e: z.output<typeof schema>) {
  const port = e.PORT;
  return {
    port,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: path.resolve(e.DATA_DIR),
    redisUrl: e.REDIS_URL,
    jwtKeys: e.JWT_KEYS,
    jwtActiveKid: e.JWT_ACTIVE_KID,
    deviceTokenTtlMs: e.DEVICE_TOKEN_TTL,
    userTokenTtlMs: e.USER_TOKEN_TTL,
    expiryScanCron: e.EXPIRY_SCAN_CRON,
    expiryWarningDays: e.EXPIRY_WARNING_DAYS,
    lastSeenFlushMs: e.LAST_SEEN_FLUSH_MS,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true',
    webhookPollMs: e.WEBHOOK_POLL_MS,
    webhookRetentionDays: e.WEBHOOK_RETENTION_DAYS,
    trustProxy: e.TRUST_PROXY,
    bootstrapAdmin:
      e.BOOTSTRAP_ADMIN_EMAIL && e.BOOTSTRAP_ADMIN_PASSWORD
        ? { email: e.BOOTSTRAP_ADMIN_EMAIL.toLowerCase(), password: e.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    logLevel: e.LOG_LEVEL,
    /** Unset: pretty on a terminal, JSON lines otherwise (decided by createLogger). */
    logFormat: e.LOG_FORMAT,
    bodyLimit: e.BODY_LIMIT,
    socketPingIntervalMs: e.SOCKET_PING_INTERVAL_MS,
    socketPingTimeoutMs: e.SOCKET_PING_TIMEOUT_MS,
    socketMaxPerAddress: e.SOCKET_MAX_PER_ADDRESS,
    socketConnectsPerMinute: e.SOCKET_CONNECTS_PER_MINUTE,
    socketEventsPerSecond: e.SOCKET_EVENTS_PER_SECOND,
    pairingsPerMinute: e.PAIRINGS_PER_MINUTE,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    validateResponses: e.VALIDATE_RESPONSES === 'true',
    metricsToken: e.METRICS_TOKEN,
  };
}

/**
 * Reads the environment once, synchronously. Empty strings count as unset.
 * Throws ConfigError with one line naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') raw[key] = v.trim();
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message} (got "${mask(name, raw[name])}")`);
  }
  const e = parsed.data;
  if (!!e.BOOTSTRAP_ADMIN_EMAIL !== !!e.BOOTSTRAP_ADMIN_PASSWORD) {
    const missing = e.BOOTSTRAP_ADMIN_EMAIL ? 'BOOTSTRAP_ADMIN_PASSWORD' : 'BOOTSTRAP_ADMIN_EMAIL';
    throw new ConfigError(
      `Invalid configuration: ${missing} must be set together with the other BOOTSTRAP_ADMIN_* variable`,
    );
  }
  if (e.JWT_ACTIVE_KID && !e.JWT_KEYS) {
    throw new ConfigError('Invalid configuration: JWT_ACTIVE_KID needs JWT_KEYS');
  }
  if (e.JWT_ACTIVE_KID && e.JWT_KEYS && !e.JWT_KEYS.some((k) => k.kid === e.JWT_ACTIVE_KID)) {
    throw new ConfigError(
      `Invalid configuration: JWT_ACTIVE_KID names "${e.JWT_ACTIVE_KID}", which JWT_KEYS does not list`,
    );
  }
  return toConfig(e);
}

function mask(name: string, value: string | undefined): string {
  if (value === undefined) return '';
  if (/PASSWORD|KEYS|TOKEN/.test(name)) return '***';
  if (/_URL$/.test(name)) return value.replace(/\/\/[^@/]*@/, '//***@');
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}
