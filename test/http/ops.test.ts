import { expect } from 'chai';
import { bearer, suite } from '../helpers';

/** Express paths (`/:device_id`) in OpenAPI form (`/{device_id}`). */
const toOpenApi = (p: string) => p.replace(/:(\w+)/g, '{$1}');

describe('operations: health, readiness, metrics, OpenAPI', () => {
  const t = suite();

  it('/healthz and /readyz answer', async () => {
    expect((await t.http.get('/healthz').expect(200)).body).to.deep.equal({ status: 'ok' });
    expect((await t.http.get('/readyz').expect(200)).body).to.deep.equal({ status: 'ready' });
  });

  it('/metrics counts requests by route template and status', async () => {
    await t.http.get('/api/v1/admin/merchants/424242').set(bearer(t.admin.token)).expect(404);
    const text = (
      await t.http
        .get('/metrics')
        .expect(200)
        .expect('Content-Type', /text\/plain/)
    ).text;
    expect(text).to.match(
      /http_requests_total\{method="GET",route="\/api\/v1\/admin\/merchants\/:merchant_id",status="404"\} 1/,
    );
    expect(text).to.include('http_request_duration_seconds_bucket');
    expect(text).to.not.include('424242');
  });

  it('/openapi.json documents every mounted API route, and only those', async () => {
    const doc = (await t.http.get('/openapi.json').expect(200)).body;
    expect(doc.openapi).to.equal('3.1.0');
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>))
      for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${path}`);

    const mounted = new Set<string>();
    for (const { path, router } of t.hub.mounts) {
      for (const layer of (
        router as unknown as { stack?: { route?: { path: string; methods: Record<string, boolean> } }[] }
      ).stack ?? []) {
        if (!layer.route) continue;
        for (const method of Object.keys(layer.route.methods)) {
          const full = `${path === '/' ? '' : path}${layer.route.path === '/' && path !== '/' ? '' : layer.route.path}`;
          if (full.startsWith('/api/') || ['/healthz', '/readyz', '/metrics', '/openapi.json'].includes(full))
            mounted.add(`${method.toUpperCase()} ${toOpenApi(full)}`);
        }
      }
    }
    expect(mounted.size).to.be.greaterThan(20);
    expect(
      [...mounted].filter((r) => !documented.has(r)),
      'mounted but not documented',
    ).to.deep.equal([]);
    expect(
      [...documented].filter((r) => !mounted.has(r)),
      'documented but not mounted',
    ).to.deep.equal([]);
    // Routers are only reached through recorded mounts: nothing is mounted on the app behind the walk's back.
    const appStack = (t.hub.app as unknown as { router: { stack: { route?: unknown }[] } }).router.stack;
    expect(appStack.filter((l) => l.route)).to.have.length(0);
    for (const [path, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { summary?: string; responses?: object }>>,
    )) {
      for (const [m, op] of Object.entries(ops)) expect(op.summary, `${m} ${path}`).to.be.a('string').and.not.empty;
    }
  });
});
