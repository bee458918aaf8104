/**
 * The reference tablet as a command line: `npm run tablet -- --qr pairing.png`. See docs/realtime.md.
 * Exit codes: 0 stopped by SIGINT/SIGTERM, 2 bad arguments, 3 revoked, 4 expired, 5 invalid token.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { CommandPayload } from '../wire';
import { type Credentials, FileCredentialStore, fetchSession, type StopReason, TabletClient } from './tablet';

const EXIT: Record<StopReason, number> = { closed: 0, revoked: 3, expired: 4, invalid_token: 5 };
const USAGE = `usage: npm run tablet -- [--qr pairing.png | --payload '<json>' | --token T --url URL]
                      [--state-file ./tablet-state.json] [--json] [--renew]`;

class BadArguments extends Error {}

/** The pairing QR: a PNG whose code holds {api_url, store_code, auth_token}. */
function decodeQr(file: string): string {
  const png = PNG.sync.read(fs.readFileSync(file));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!code) throw new BadArguments(`no QR code found in ${file}`);
  return code.data;
}

function parsePayload(text: string): Credentials {
  let v: Partial<Credentials>;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BadArguments('the pairing payload is not JSON');
  }
  if (typeof v?.api_url !== 'string' || typeof v.store_code !== 'string' || typeof v.auth_token !== 'string')
    throw new BadArguments('the pairing payload needs api_url, store_code and auth_token');
  return { api_url: v.api_url.replace(/\/+$/, ''), store_code: v.store_code, auth_token: v.auth_token };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      qr: { type: 'string' },
      payload: { type: 'string' },
      token: { type: 'string' },
      url: { type: 'string' },
      'state-file': { type: 'string', default: './tablet-state.json' },
      json: { type: 'boolean', default: false },
      renew: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const sources = [values.qr, values.payload, values.token].filter((v) => v !== undefined).length;
  if (sources > 1) throw new BadArguments('give one of --qr, --payload or --token');
  if ((values.token === undefined) !== (values.url === undefined))
    throw new BadArguments('--token and --url go together');

  const json = values.json;
  const store = new FileCredentialStore(values['state-file']);
  let client: TabletClient | null;
  if (values.qr !== undefined || values.payload !== undefined) {
    client = new TabletClient(parsePayload(values.qr !== undefined ? decodeQr(values.qr) : values.payload!), store);
  } else if (values.token !== undefined) {
    const api_url = values.url!.replace(/\/+$/, '');
    // A bare token: the store code comes from the server.
    const session = await fetchSession(api_url, values.token).catch((err: { code?: string }) => {
      if (
        err.code === 'INVALID_TOKEN' ||
        err.code === 'TERMINAL_DEVICE_REVOKED' ||
        err.code === 'TERMINAL_DEVICE_EXPIRED'
      )
        return err.code;
      throw err;
    });
    if (typeof session === 'string') {
      print('stopped', { reason: session }, `refused: ${session}`);
      return session === 'TERMINAL_DEVICE_REVOKED' ? 3 : session === 'TERMINAL_DEVICE_EXPIRED' ? 4 : 5;
    }
    client = new TabletClient({ api_url, store_code: session.store.code, auth_token: values.token }, store);
  } else {
    client = await TabletClient.fromStore(store);
    if (!client)
      throw new BadArguments(`nothing in ${values['state-file']}: pair first with --qr, --payload or --token`);
  }

  // One JSON object per line (--json), or a readable line; never the token.
  function print(event: string, data: Record<string, unknown>, text: string) {
    const at = new Date();
    if (json) console.log(JSON.stringify({ at: at.toISOString(), event, ...data }));
    else console.log(`${at.toTimeString().slice(0, 8)} ${text}`);
  }
  const c = client;
  c.on('session', (s) =>
    print('session', { ...s }, `session device ${s.device_id} at ${s.store_code} (token expires ${s.expires_at})`),
  );
  c.on('expiring', (p) => print('expiring', { ...p }, `expiring in ${p.days_left} days (${p.expires_at}): renewing`));
  c.on('renewed', (expires_at) => print('renewed', { expires_at }, `token renewed, expires ${expires_at}`));
  c.on('revoked', (p) =>
    print('revoked', { ...p }, `revoked (${p.reason}${p.revoked_reason ? `: ${p.revoked_reason}` : ''})`),
  );
  c.on('expired', (p) => print('expired', { ...p }, `expired: ${p.message}`));
  // What each command was, to name it when its result is printed.
  const commands = new Map<number, string>();
  const describe = (cmd: CommandPayload) => `${cmd.type} ${JSON.stringify(cmd.args)}`;
  c.on('command', (cmd) => {
    commands.set(cmd.id, describe(cmd));
    if (cmd.type === 'identify')
      print('identify', { ...cmd }, `>>> IDENTIFY: flashing for ${cmd.args.seconds ?? 10} s <<<`);
    if (cmd.type === 'show_message') print('message', { ...cmd }, `>>> MESSAGE: ${String(cmd.args.text)} <<<`);
  });
  c.on('command:duplicate', (cmd) => {
    commands.set(cmd.id, describe(cmd));
    print('command:duplicate', { id: cmd.id, type: cmd.type }, `command ${cmd.id} ${cmd.type} already run: not again`);
  });
  c.on('command:result', (r, ack) =>
    print(
      'command:result',
      { ...r, ack },
      `command ${r.id} ${commands.get(r.id) ?? ''} → ${r.ok ? 'done' : `failed ${r.error?.message}`} ${JSON.stringify(r.result ?? {})}` +
        (ack && 'status' in ack ? ` (${ack.status})` : ''),
    ),
  );
  c.on('state', (report, ack) =>
    print(
      'state',
      { report, ack },
      `state sent ${JSON.stringify(report)} ${ack && 'ok' in ack ? 'ok' : JSON.stringify(ack)}`,
    ),
  );
  c.on('reconnecting', (attempt, delay) =>
    print('reconnecting', { attempt, delay_ms: delay }, `reconnecting (attempt ${attempt}) in ${delay} ms`),
  );
  c.on('error', (err) => print('error', { message: err.message }, `error: ${err.message}`));

  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => c.close());

  await c.start();
  if (values.renew) await c.renew();
  const reason = await c.stopped;
  print('stopped', { reason }, `stopped: ${reason}`);
  return EXIT[reason];
}

main().then(
  (code) => process.exit(code),
  (err) => {
    const bad = err instanceof BadArguments || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS');
    console.error(`tablet: ${(err as Error).message}`);
    if (bad) console.error(USAGE);
    process.exit(bad ? 2 : 1);
  },
);
