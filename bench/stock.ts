/**
 * The stock Socket.IO server the socket benches compare the hub with: the same socket.io and transport options as
 * src/realtime/index.ts, no adapter, no database; what any authenticated Socket.IO server does: the handshake token
 * verified with jose (HS256 pinned, typ, audience and issuer checked, claims shaped like the hub's device tokens),
 * two rooms joined, `session` emitted. /metrics has prom-client's default metrics, as the hub's.
 *
 *   node --import tsx bench/stock.ts <port>     # STOCK_SECRET (base64url) in the environment
 */
import { createSecretKey, randomUUID } from 'node:crypto';
import http from 'node:http';
import { jwtVerify, SignJWT } from 'jose';
import client from 'prom-client';
import { Server } from 'socket.io';

export const SERVER_OPTS = {
  maxHttpBufferSize: 16 * 1024,
  perMessageDeflate: false,
  httpCompression: false,
  pingInterval: 8000,
  pingTimeout: 7000,
  cleanupEmptyChildNamespaces: true,
} as const;

const STOCK = { typ: 'th-device+jwt', audience: 'terminal-hub:store-api', issuer: 'terminal-hub' } as const;
export function bareServer(port: number) {
  const key = createSecretKey(Buffer.from(String(process.env.STOCK_SECRET), 'base64url'));
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpServer = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.setHeader('content-type', registry.contentType);
      res.end(await registry.metrics());
    } else res.writeHead(404).end();
  });
  const ioServer = new Server(httpServer, { ...SERVER_OPTS, serveClient: true });
  const nsp = ioServer.of('/devices');
  nsp.use(async (socket, next) => {
    try {
      const { payload } = await jwtVerify(String(socket.handshake.auth?.token), key, {
        algorithms: ['HS256'],
        ...STOCK,
      });
      socket.data = { id: payload.sub, store: payload.store_code };
      next();
    } catch {
      next(new Error('INVALID_TOKEN'));
    }
  });
  nsp.on('connection', (socket) => {
    void socket.join([`device:${socket.data.id}`, `store:${socket.data.store}`]);
    socket.emit('session', {});
    // What the reference tablet client sends on every session (the hub acks it once validated).
    socket.on('state', (_report, ack) => typeof ack === 'function' && ack({ ok: true }));
  });
  httpServer.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}

/** N tokens for the stock server, shaped like the hub's device tokens (claims, header, one year). */
export async function stockTokens(secret: Buffer, n: number): Promise<string[]> {
  const key = createSecretKey(secret);
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      new SignJWT({ store_code: `S${Math.floor(i / 100)}`, merchant_id: 1 })
        .setProtectedHeader({ alg: 'HS256', typ: STOCK.typ, kid: 'stock' })
        .setSubject(String(i + 1))
        .setJti(randomUUID())
        .setAudience(STOCK.audience)
        .setIssuer(STOCK.issuer)
        .setIssuedAt()
        .setExpirationTime('365d')
        .sign(key),
    ),
  );
}

if (require.main === module) bareServer(Number(process.argv[2]));
