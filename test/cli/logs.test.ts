import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { migrations } from '../../migrations';
import { createLogger, type LogFormat } from '../../src/logger';
import { freePort, tempDir, waitFor } from '../helpers';
import { childEnv, ROOT, startMain, TSX } from './process';

/** A logger of the given format writing into a string. */
function captured(format: LogFormat) {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d) => (out += d));
  return { logger: createLogger('info', format, stream), lines: () => out.split('\n').filter(Boolean) };
}

const MIGRATION_NAMES = migrations.map((M) => new M().name as string);
const hasScript = spawnSync('script', ['--version']).status === 0;

describe('logs: readable on a terminal, JSON lines otherwise; migrations one line each', function () {
  this.timeout(60_000);

  it('pretty: one line per entry, requests as "GET /path 200 3ms", fields as key=value, still redacted', async () => {
    const { logger, lines } = captured('pretty');
    logger.info({ port: 3000, database: 'better-sqlite3' }, 'terminal-hub listening');
    logger.info(
      { req: { id: 1, method: 'GET', path: '/healthz' }, res: { status: 200 }, responseTime: 3 },
      'request completed',
    );
    logger.warn({ password: 'hunter2-hunter2', user: { token: 'tok-secret' } }, 'login');
    await waitFor(() => lines().length === 3);
    const [listening, request, login] = lines();
    expect(listening).to.match(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: terminal-hub listening port=3000 database=better-sqlite3$/,
    );
    expect(request).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/healthz 200 3ms$/);
    expect(login).to.match(/ WARN: login password=\[redacted\] user=\{"token":"\[redacted\]"\}$/);
    expect(lines().join('\n')).to.not.include('hunter2').and.not.include('tok-secret');
  });

  it('pretty: an error comes with its stack on the following lines', async () => {
    const { logger, lines } = captured('pretty');
    logger.error({ err: new Error('disk full') }, 'flush failed');
    await waitFor(() => lines().length >= 2);
    expect(lines()[0]).to.match(/ ERROR: flush failed$/);
    expect(lines()[1]).to.equal('Error: disk full');
    expect(lines()[2]).to.match(/^\s+at /);
  });

  it('json: one JSON object per line, redacted', async () => {
    const { logger, lines } = captured('json');
    logger.info({ password: 'hunter2-hunter2' }, 'hello');
    await waitFor(() => lines().length === 1);
    expect(JSON.parse(lines()[0])).to.deep.include({ msg: 'hello', password: '[redacted]', service: 'terminal-hub' });
  });

  it('the server without a terminal: JSON lines, each applied migration once by name, no SQL', async () => {
    const s = await startMain({ DATA_DIR: tempDir(), LOG_LEVEL: 'info' });
    const first = s.output();
    expect(await s.stop()).to.equal(0);
    const logs = first
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(logs.filter((l) => l.migration).map((l) => l.msg)).to.deep.equal(
      MIGRATION_NAMES.map((n) => `applied migration ${n}`),
    );
    expect(logs.some((l) => l.msg === 'terminal-hub listening')).to.equal(true);
    expect(first).to.not.match(/CREATE TABLE|INSERT INTO|query:/i);
  });

  it('the server on a terminal (LOG_FORMAT unset): readable lines, no JSON', async function () {
    if (!hasScript) this.skip(); // util-linux `script` gives the child a pseudo-terminal
    const port = await freePort();
    const env = childEnv({ DATA_DIR: tempDir(), LOG_LEVEL: 'info', PORT: String(port) });
    // `script` runs the server on a pseudo-terminal; the inner timeout is only a safety net.
    const proc = spawn('script', ['-qec', `timeout 30 ${TSX} src/main.ts`, '/dev/null'], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('Log in:'), 30_000, 100);
      await fetch(`http://127.0.0.1:${port}/healthz`);
      await waitFor(() => out.includes('/healthz'), 5000);
    } finally {
      proc.kill('SIGTERM');
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colours are stripped
    const plain = out.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r/g, '');
    expect(plain).to.match(new RegExp(`INFO: applied migration ${MIGRATION_NAMES[0]}\n`));
    expect(plain).to.match(/INFO: terminal-hub listening port=\d+ database=better-sqlite3 redis=false\n/);
    expect(plain).to.match(/INFO: GET \/healthz 200 \d+ms\n/);
    expect(plain).to.not.include('{"level"');
  });
});
