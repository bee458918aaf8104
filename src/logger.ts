import pino from 'pino';

export type Logger = pino.Logger;
export type LogFormat = 'json' | 'pretty';

/**
 * Structured logs on stdout (tests pass another destination): JSON lines, or one readable line per entry when
 * `format` is `pretty`, the default when stdout is a terminal. Nothing that can hold a secret is logged: request
 * logs carry method, path (never the query string), status and time, no headers; the redact list is a second line
 * of defence, applied before either format.
 */
export function createLogger(
  level: string,
  format: LogFormat = process.stdout.isTTY ? 'pretty' : 'json',
  destination: NodeJS.WritableStream = process.stdout,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'terminal-hub' },
    serializers: { err: safeError },
    redact: {
      paths: [
        'req.headers.authorization',
        'authorization',
        'password',
        'token',
        'auth_token',
        '*.password',
        '*.token',
        '*.auth_token',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  const pretty = format === 'pretty' ? loadPretty() : undefined;
  if (!pretty) return destination === process.stdout ? pino(options) : pino(options, destination);
  // A stream in this thread rather than a transport (worker thread): lines come out in order with the rest of
  // stdout, and nothing is lost when the process exits.
  return pino(
    options,
    pretty({
      colorize: destination === process.stdout && Boolean(process.stdout.isTTY),
      sync: true,
      destination: destination === process.stdout ? 1 : destination,
      translateTime: 'SYS:HH:MM:ss.l',
      hideObject: true,
      messageFormat: prettyLine,
    }),
  );
}

/**
 * pino's error serializer, minus what a failed query carries of its data: TypeORM's `parameters` and the driver's
 * `sql` (mysql2 puts the values into it). The statement's shape (`query`, with `?` placeholders) stays.
 */
export function safeError(err: unknown): Record<string, unknown> {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  delete out.parameters;
  delete out.sql;
  const driver = out.driverError as Record<string, unknown> | undefined;
  if (driver && typeof driver === 'object') {
    const { sql: _sql, parameters: _parameters, ...rest } = driver;
    out.driverError = rest;
  }
  return out;
}

/**
 * pino-pretty is a development dependency: a production install (`npm ci --omit=dev`) has none, and logs JSON
 * lines even on a terminal.
 */
function loadPretty(): typeof import('pino-pretty') | undefined {
  try {
    return require('pino-pretty');
  } catch {
    return undefined;
  }
}

const PINO_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg', 'req', 'res', 'responseTime', 'err']);

/**
 * One readable line: `GET /healthz 200 3ms` for a request, else the message and its fields as `key=value` (a value
 * the message already says is not repeated); an error's stack on the lines below.
 */
export function prettyLine(log: Record<string, unknown>, messageKey: string): string {
  const req = log.req as { method?: string; path?: string } | undefined;
  const res = log.res as { status?: number } | undefined;
  let line = String(log[messageKey] ?? '');
  if (req?.method && res?.status !== undefined)
    line = `${req.method} ${req.path} ${res.status} ${log.responseTime ?? '?'}ms${line === 'request completed' ? '' : `  ${line}`}`;
  for (const [key, value] of Object.entries(log)) {
    if (PINO_KEYS.has(key) || key === messageKey || value === undefined) continue;
    const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    if (typeof value !== 'object' && line.includes(text)) continue;
    line += ` ${key}=${text}`;
  }
  const err = log.err as { stack?: string; message?: string } | undefined;
  if (err) line += `\n${err.stack ?? err.message ?? JSON.stringify(err)}`;
  return line;
}
