import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import {
  type CommandPayload,
  type Credentials,
  MemoryCredentialStore,
  type StopReason,
  TabletClient,
  type TabletState,
} from '../../src/client';
import { createServer } from '../../src/server';
import {
  bearer,
  deviceRow,
  eventBus,
  makeTenant,
  type MadeTenant,
  pairDevice,
  suite,
  type TestHub,
  freePort,
  tempDir,
  testConfig,
  waitFor,
} from '../helpers';
import { closedAfterEach, dashboardSocket } from '../socket-helpers';

const DEVICES = '/api/v1/merchants/loyalty/devices';

/** The CLI as a child process, its stdout parsed line by line (--json). */
class Cli {
  readonly lines: any[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  constructor(args: string[]) {
    this.child = spawn(path.resolve('node_modules/.bin/tsx'), ['src/client/cli.ts', ...args, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) if (l.trim()) this.lines.push(JSON.parse(l));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }
  next(event: string, timeoutMs = 20_000) {
    return waitFor(() => this.lines.find((l) => l.event === event), timeoutMs, 20);
  }
  signal(sig: NodeJS.Signals) {
    this.child.kill(sig);
  }
  get stdout() {
    return JSON.stringify(this.lines);
  }
}

describe('the reference tablet client', function () {
  this.timeout(60_000);
  const t = suite();
  let tenant: MadeTenant;
  const clients: TabletClient[] = [];
  const children: Cli[] = [];
  before(async () => {
    tenant = await makeTenant(t, 1);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    for (const c of children.splice(0)) c.signal('SIGKILL');
  });
  const cli = (args: string[]) => {
    const c = new Cli(args);
    children.push(c);
    return c;
  };
  const credentials = (token: string): Credentials => ({
    api_url: t.url,
    store_code: tenant.stores[0].code,
    auth_token: token,
  });
  const client = (token: string, store = new MemoryCredentialStore()) => {
    const c = new TabletClient(credentials(token), store, { baseDelayMs: 50, maxDelayMs: 500 });
    clients.push(c);
    return c;
  };
  const sessionOf = (c: TabletClient) => new Promise((resolve) => c.once('session', resolve));
  const sendCommand = async (deviceId: number, body: object) =>
    (await t.http.post(`${DEVICES}/${deviceId}/commands`).set(bearer(tenant.merchantToken)).send(body).expect(201)).body
      .command;
  const getCommand = async (deviceId: number, id: number) =>
    (await t.http.get(`${DEVICES}/${deviceId}/commands/${id}`).set(bearer(tenant.merchantToken)).expect(200)).body
      .command;

  it('runs commands: identify, ping (its state) and sync (the session) succeed, seen through REST', async () => {
    const device = await pairDevice(t, tenant);
    const c = client(device.token);
    const ran: CommandPayload[] = [];
    c.on('command', (cmd) => ran.push(cmd));
    await c.start();
    const identify = await sendCommand(device.id, { type: 'identify', args: { seconds: 5 } });
    const ping = await sendCommand(device.id, { type: 'ping' });
    const sync = await sendCommand(device.id, { type: 'sync' });
    for (const cmd of [identify, ping, sync])
      await waitFor(async () => (await getCommand(device.id, cmd.id)).status === 'succeeded', 10_000);
    expect(ran.map((r) => r.type)).to.deep.equal(['identify', 'ping', 'sync']);
    expect((await getCommand(device.id, ping.id)).result).to.include({
      app_version: 'terminal-hub-reference-client/0.1.0',
    });
    expect((await getCommand(device.id, sync.id)).result).to.include({ store_code: tenant.stores[0].code });
  });

  it('a command delivered again after a lost connection is acknowledged and answered, but not run twice', async () => {
    const device = await pairDevice(t, tenant);
    const store = new MemoryCredentialStore();
    const c = client(device.token, store);
    let runs = 0;
    let duplicates = 0;
    c.on('command', () => {
      runs++;
      // The connection drops while the command runs: its ack reached the server (delivered), its result did not.
      c.reconnect();
    });
    c.on('command:duplicate', () => duplicates++);
    await c.start();
    const cmd = await sendCommand(device.id, { type: 'show_message', args: { text: 'hello' } });
    // After the reconnect the server resends the unfinished command; the client re-sends its stored result.
    await waitFor(async () => (await getCommand(device.id, cmd.id)).status === 'succeeded', 10_000);
    expect(runs).to.equal(1);
    expect(duplicates).to.equal(1);
    expect(store.state?.executed.map((e) => e.id)).to.deep.equal([cmd.id]); // persisted with the credentials
  });

  it('renew(): the new token is saved before it is used; REST takes it; the old one is refused after', async () => {
    const device = await pairDevice(t, tenant);
    const checks: number[] = [];
    // At the moment the new token is saved, the old one must still work: the new one has not been used yet.
    class CheckingStore extends MemoryCredentialStore {
      async save(state: TabletState) {
        if (state.credentials.auth_token !== device.token)
          checks.push((await t.http.get('/api/v1/store/loyalty/session').set(bearer(device.token))).status);
        await super.save(state);
      }
    }
    const store = new CheckingStore();
    const c = client(device.token, store);
    const first = sessionOf(c);
    await c.start();
    await first;
    const again = sessionOf(c);
    await c.renew();
    await again; // reconnected with the new token
    expect(checks).to.deep.equal([200]);
    const fresh = store.state!.credentials.auth_token;
    expect(fresh).not.to.equal(device.token);
    expect(c.credentials.auth_token).to.equal(fresh);
    await t.http.get('/api/v1/store/loyalty/session').set(bearer(fresh)).expect(200);
    await t.http.get('/api/v1/store/loyalty/session').set(bearer(device.token)).expect(401);
  });

  it('expiring: it renews by itself and carries on with the new token', async () => {
    const device = await pairDevice(t, tenant);
    const store = new MemoryCredentialStore();
    const c = client(device.token, store);
    const first = sessionOf(c);
    await c.start();
    await first;
    const renewed = new Promise<string>((resolve) => c.once('renewed', resolve));
    const again = sessionOf(c);
    // What the expiry job publishes for a device it flags (the same event bus, the same socket event).
    eventBus(t).emit('device.expiring', { device: await deviceRow(t, device.id) });
    await renewed;
    await again;
    const fresh = store.state!.credentials.auth_token;
    expect(fresh).not.to.equal(device.token);
    await t.http.get('/api/v1/store/loyalty/session').set(bearer(fresh)).expect(200);
  });

  it('a revoke stops it for good: stopped resolves with "revoked", the CLI exits 3', async () => {
    const device = await pairDevice(t, tenant);
    const dir = tempDir();
    const stateFile = path.join(dir, 'state.json');
    // A bare token and URL: the CLI learns its store code from GET /session.
    const child = cli(['--token', device.token, '--url', t.url, '--state-file', stateFile]);
    const c = client(device.token);
    const reconnects: number[] = [];
    c.on('reconnecting', (attempt) => reconnects.push(attempt));
    await c.start();
    const [, session] = await Promise.all([sessionOf(c), child.next('session')]);
    expect(session).to.include({ device_id: device.id, store_code: tenant.stores[0].code });
    await t.http.post(`${DEVICES}/${device.id}/revoke`).set(bearer(tenant.merchantToken)).send({}).expect(200);
    expect(await c.stopped).to.equal('revoked' satisfies StopReason);
    expect(await child.exited).to.equal(3);
    expect(reconnects).to.deep.equal([]);
  });

  it('a refused token stops it at once (no retry); a bad --payload exits 2', async () => {
    const c = client('not-a-token');
    const reconnects: number[] = [];
    c.on('reconnecting', (attempt) => reconnects.push(attempt));
    await c.start();
    expect(await c.stopped).to.equal('invalid_token' satisfies StopReason);
    expect(reconnects).to.deep.equal([]);
    expect(await cli(['--payload', '{"api_url": 1}', '--state-file', path.join(tempDir(), 's.json')]).exited).to.equal(
      2,
    );
  });

  it('reload: the result is sent, then it reconnects (a new session)', async () => {
    const device = await pairDevice(t, tenant);
    const c = client(device.token);
    let sessions = 0;
    c.on('session', () => sessions++);
    await c.start();
    const reload = await sendCommand(device.id, { type: 'reload' });
    await waitFor(async () => (await getCommand(device.id, reload.id)).status === 'succeeded', 10_000);
    await waitFor(() => sessions === 2, 10_000);
  });

  it('cannot connect: retries with full-jitter backoff, each delay within min(cap, base·2^attempt)', async () => {
    const port = await freePort(); // nothing listens there
    const c = new TabletClient(
      { api_url: `http://127.0.0.1:${port}`, store_code: 'S', auth_token: 'x' },
      new MemoryCredentialStore(),
      { baseDelayMs: 5, maxDelayMs: 40 },
    );
    clients.push(c);
    const retries: [number, number][] = [];
    c.on('reconnecting', (attempt, delay) => retries.push([attempt, delay]));
    await c.start();
    await waitFor(() => retries.length >= 7, 10_000);
    c.close();
    expect(await c.stopped).to.equal('closed' satisfies StopReason);
    retries.slice(0, 7).forEach(([attempt, delay], i) => {
      expect(attempt).to.equal(i + 1);
      expect(delay).to.be.within(0, Math.min(40, 5 * 2 ** i));
    });
  });

  it('bad arguments exit 2', async () => {
    expect(await cli(['--qr', 'x.png', '--payload', '{}']).exited).to.equal(2);
    expect(await cli(['--state-file', path.join(tempDir(), 'none.json')]).exited).to.equal(2);
  });
});

/** The QR's api_url is the server's PUBLIC_URL: this server listens on a port known before it starts. */
describe('the reference tablet CLI, paired from the QR code', function () {
  this.timeout(60_000);
  let q: TestHub;
  let qtenant: MadeTenant;
  const open = closedAfterEach();
  const children: Cli[] = [];
  before(async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const hub = await createServer(testConfig({ PUBLIC_URL: url }));
    await hub.listen(port);
    q = { hub, url, port, http: request(url), close: () => hub.close() };
    qtenant = await makeTenant(q, 1);
  });
  after(() => q?.close());
  afterEach(() => {
    for (const c of children.splice(0)) c.signal('SIGKILL');
  });
  const cli = (args: string[]) => {
    const c = new Cli(args);
    children.push(c);
    return c;
  };

  it('CLI: pairs from the QR PNG, goes online, keeps a 0600 state file, exits 0 on SIGINT, runs again from the file', async () => {
    const device = await pairDevice(q, qtenant);
    const dir = tempDir();
    const qr = path.join(dir, 'pairing.png');
    fs.writeFileSync(qr, Buffer.from(device.body.pairing.qr.png_base64, 'base64'));
    const stateFile = path.join(dir, 'tablet-state.json');
    const dash = open(dashboardSocket(q.url, qtenant.merchantToken));
    await dash.connected();

    const first = cli(['--qr', qr, '--state-file', stateFile]);
    const session = await first.next('session');
    expect(session).to.include({ device_id: device.id, store_code: qtenant.stores[0].code });
    await dash.next('device:online', (p) => p.device.id === device.id, 20_000);
    expect(fs.statSync(stateFile).mode & 0o777).to.equal(0o600);
    const saved = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as TabletState;
    expect(saved.credentials).to.deep.equal({
      api_url: q.url,
      store_code: qtenant.stores[0].code,
      auth_token: device.token,
    });
    expect((await first.next('state')).ack).to.deep.equal({ ok: true });
    expect(first.stdout).not.to.include(device.token); // never printed
    first.signal('SIGINT');
    expect(await first.exited).to.equal(0);

    const second = cli(['--state-file', stateFile]);
    expect(await second.next('session')).to.include({ device_id: device.id });
    second.signal('SIGINT');
    expect(await second.exited).to.equal(0);
  });
});
