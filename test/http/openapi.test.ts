import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { startHub, type TestHub, tempDir } from '../helpers';

type Json = Record<string, any>;

describe('OpenAPI: every route documents its answer, and a generated client compiles against it', () => {
  let t: TestHub;
  let doc: Json;
  before(async () => {
    t = await startHub();
    doc = (await t.http.get('/openapi.json').expect(200)).body;
  });
  after(() => t.close());

  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${p}`, op })),
    );
  const resolve = (schema: Json): Json =>
    schema.$ref ? doc.components.schemas[String(schema.$ref).replace('#/components/schemas/', '')] : schema;

  it('every operation has a success answer with a JSON schema naming its properties (Prometheus text and 204 aside)', () => {
    const missing: string[] = [];
    for (const { name, op } of operations()) {
      const [status, success] = Object.entries(op.responses as Record<string, Json>).find(([s]) => s < '300')!;
      if (name === 'GET /metrics') {
        expect(Object.keys(success.content)[0]).to.match(/^text\/plain/);
        continue;
      }
      if (status === '204') {
        expect(success.content, `${name}: 204 has no body`).to.equal(undefined);
        continue;
      }
      const schema = success.content?.['application/json']?.schema;
      if (!schema || !resolve(schema).properties) missing.push(`${name} ${status}`);
    }
    expect(missing, 'operations without a response schema').to.deep.equal([]);
    expect(operations().length).to.be.greaterThan(30);
  });

  it('every error answer refers to the shared Error schema, and operation ids are unique', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const { op } of operations())
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>))
        if (Number(status) >= 400 && status !== '503')
          expect(r.content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/Error' });
  });

  it('openapi-typescript generates a client whose types compile and match the server’s wire types', function () {
    this.timeout(60_000);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'openapi.json'), JSON.stringify(doc));
    const bin = path.resolve('node_modules/.bin/openapi-typescript');
    execFileSync(bin, [path.join(dir, 'openapi.json'), '-o', path.join(dir, 'api.d.ts')], { stdio: 'pipe' });
    const wire = path.resolve('src/wire');
    fs.writeFileSync(
      path.join(dir, 'client.ts'),
      `import type { components, paths } from './api';
import type { Card, Device, Merchant, Pairing, Program, Store, Transaction, User } from '${wire}';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type S = components['schemas'];
export const same: [
  Same<S['Device'], Device>, Same<S['Pairing'], Pairing>, Same<S['Store'], Store>, Same<S['Merchant'], Merchant>,
  Same<S['User'], User>, Same<S['Program'], Program>, Same<S['Card'], Card>, Same<S['Transaction'], Transaction>,
] = [true, true, true, true, true, true, true, true];

type Pair = paths['/api/v1/merchants/loyalty/devices']['post'];
type PairBody = Pair['requestBody']['content']['application/json'];
type Paired = Pair['responses'][201]['content']['application/json'];

/** A tiny typed client, as an integrator would write it on top of the generated types. */
export async function pair(base: string, token: string, body: PairBody): Promise<Paired> {
  const res = await fetch(base + '/api/v1/merchants/loyalty/devices', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Paired;
}
export const label = async (base: string, token: string): Promise<string> =>
  (await pair(base, token, { store_id: 1, label: 'Till' })).device.label + (await pair(base, token, { store_id: 1, label: 'x' })).pairing.qr.payload;
`,
    );
    // The project's own compiler options (the client imports the server's wire types), plus the DOM's fetch.
    const config = ts.getParsedCommandLineOfConfigFile(
      path.resolve('tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: () => undefined,
      },
    )!;
    const options = { ...config.options, noEmit: true, lib: [...(config.options.lib ?? []), 'lib.dom.d.ts'] };
    const program = ts.createProgram([path.join(dir, 'client.ts')], options);
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).to.deep.equal([]);
  });
});
