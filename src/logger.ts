import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Nothing that can hold a secret is logged: request logs carry method, path (never the
 * query string), status and time, no headers; the redact list is a second line of defence.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'terminal-hub' },
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
  });
}
