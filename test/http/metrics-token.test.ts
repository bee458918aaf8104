import { expect } from 'chai';
import { bearer, startHub } from '../helpers';

describe('operations: /metrics behind METRICS_TOKEN', () => {
  it('without the token /metrics is 401; with it, Prometheus text; the other probes stay open', async () => {
    const token = 'metrics-secret-0123456789';
    const t = await startHub({ METRICS_TOKEN: token });
    try {
      expect((await t.http.get('/metrics').expect(401)).body.error.code).to.equal('UNAUTHENTICATED');
      await t.http.get('/metrics').set(bearer('wrong-token-0123456789')).expect(401);
      const ok = await t.http.get('/metrics').set(bearer(token)).expect(200);
      expect(ok.text).to.include('http_requests_total');
      await t.http.get('/healthz').expect(200);
      await t.http.get('/readyz').expect(200);
    } finally {
      await t.close();
    }
  });
});
