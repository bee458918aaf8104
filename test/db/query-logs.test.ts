import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../src/logger';
import { createServer } from '../../src/server';
import { testConfig } from '../helpers';

describe('logs: a failed query is logged without its parameters', () => {
  it('the statement with its placeholders is there, the values are not (TypeORM parameters, driver sql)', async () => {
    const sink = new PassThrough();
    let out = '';
    sink.on('data', (chunk) => (out += String(chunk)));
    const logger = createLogger('info', 'json', sink);
    const hub = await createServer(testConfig(), { logger, scheduleJobs: false });
    try {
      const secret = 'secret-value-0f6c@example.com';
      const err = await hub.ctx.db.query('SELECT id FROM no_such_table WHERE email = ?', [secret]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'the query failed').to.be.instanceOf(Error);
      logger.error({ err }, 'query failed');
      await new Promise((r) => setImmediate(r));
      expect(out).to.include('no_such_table');
      expect(out).to.not.include(secret);
    } finally {
      await hub.close();
    }
  });
});
