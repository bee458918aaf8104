import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors';
import type { Route } from './route';

type Json = Record<string, unknown>;

/** Refusals every route of a kind can answer, added to each route's own. */
const TOKEN_ERRORS: Partial<Record<ErrorCode, string>> = {
  UNAUTHENTICATED: 'No bearer token',
  INVALID_TOKEN: 'A token that is not valid here',
  TOKEN_EXPIRED: 'The user token has expired',
};
const DEVICE_ERRORS: Partial<Record<ErrorCode, string>> = {
  TERMINAL_DEVICE_REVOKED: 'The device was revoked',
  TERMINAL_DEVICE_EXPIRED: 'The device token has expired',
};

const errorSchema = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
        message: { type: 'string', description: 'In the language of Accept-Language (en, fr, de, lb)' },
        details: { type: 'object', description: 'e.g. `fields`: one message per bad field' },
      },
    },
  },
};

/**
 * JSON Schema of a zod schema. Schemas named with `.meta({id})` are put in `components.schemas` once and referred
 * to by `$ref`, so generated clients get named types (Device, Store, …).
 */
function schemaOf(s: z.ZodType, io: 'input' | 'output', components: Record<string, Json>): Json {
  const { $schema, $defs, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json & {
    $defs?: Record<string, Json>;
  };
  void $schema;
  for (const [name, def] of Object.entries($defs ?? {})) components[name] ??= relink(def) as Json;
  const id = (z.globalRegistry.get(s) as { id?: string } | undefined)?.id;
  if (id && io === 'output') {
    components[id] ??= relink(rest) as Json;
    return { $ref: `#/components/schemas/${id}` };
  }
  return relink(rest) as Json;
}

/** `#/$defs/X` (zod's output) → `#/components/schemas/X`. */
function relink(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(relink);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', '#/components/schemas/') : relink(x),
      ]),
    );
  return v;
}

function parametersOf(r: Route, components: Record<string, Json>): Json[] {
  const out: Json[] = [];
  const inPath = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const props = (s: z.ZodType | undefined) =>
    s ? ((schemaOf(s, 'input', components).properties ?? {}) as Record<string, Json>) : {};
  const pathProps = props(r.params);
  for (const name of inPath)
    out.push({ name, in: 'path', required: true, schema: pathProps[name] ?? { type: 'string' } });
  const query = r.query ? schemaOf(r.query, 'input', components) : undefined;
  for (const [name, schema] of Object.entries((query?.properties ?? {}) as Record<string, Json>)) {
    const required = ((query?.required ?? []) as string[]).includes(name);
    out.push({ name, in: 'query', required, schema });
  }
  for (const [name, schema] of Object.entries(props(r.headers))) {
    const { description, ...rest } = schema;
    out.push({ name, in: 'header', required: false, ...(description ? { description } : {}), schema: rest });
  }
  return out;
}

function errorResponses(r: Route): Record<string, Json> {
  const errors: Partial<Record<ErrorCode, string>> = {
    ...(r.params || r.query || r.body || r.headers ? { VALIDATION_ERROR: 'A bad parameter, naming each field' } : {}),
    ...(r.auth !== 'none' ? TOKEN_ERRORS : {}),
    ...(r.auth === 'user_or_device' ? DEVICE_ERRORS : {}),
    ...(r.auth === 'user' || r.roles ? { FORBIDDEN: 'Not allowed for this token or role' } : {}),
    ...r.errors,
  };
  const byStatus = new Map<number, string[]>();
  for (const [code, when] of Object.entries(errors) as [ErrorCode, string][]) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${code}\`: ${when}`]);
  }
  const out: Record<string, Json> = {};
  for (const [status, lines] of [...byStatus].sort(([a], [b]) => a - b)) {
    const content = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
    out[String(status)] = { description: lines.join('; '), content };
  }
  return out;
}

/** The OpenAPI 3.1 document of the REST API, built from the same route definitions that are mounted. */
export function buildOpenApi(routes: Route[], serverUrl: string) {
  const components: Record<string, Json> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const status = String(r.status ?? 200);
    const success =
      status === '204'
        ? { description: r.summary }
        : 'contentType' in r.response
          ? { description: r.summary, content: { [r.response.contentType]: { schema: { type: 'string' } } } }
          : {
              description: r.summary,
              content: { 'application/json': { schema: schemaOf(r.response, 'output', components) } },
            };
    const others = Object.entries(r.otherResponses ?? {}).map(([s, o]) => [
      s,
      {
        description: o.description,
        content: { 'application/json': { schema: schemaOf(o.schema, 'output', components) } },
      },
    ]);
    const parameters = parametersOf(r, components);
    paths[r.path] ??= {};
    paths[r.path][r.method] = {
      operationId: operationId(r),
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      security: r.auth === 'none' ? [] : [{ bearer: [] }],
      ...(r.auth !== 'none' ? { 'x-token-kinds': r.auth === 'user_or_device' ? ['user', 'device'] : ['user'] } : {}),
      ...(r.roles ? { 'x-roles': r.roles } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(r.body, 'input', components) } },
            },
          }
        : {}),
      responses: { [status]: success, ...Object.fromEntries(others), ...errorResponses(r) },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'terminal-hub',
      version: '1',
      description: "Pairs POS tablets to merchants' stores. The realtime (Socket.IO) part is in docs/api.md.",
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema, ...components },
    },
    paths,
  };
}

/** `GET /api/v1/admin/merchants/{merchant_id}/stores` → `getAdminMerchantsStores`: stable, unique, readable. */
function operationId(r: Route): string {
  const words = r.path
    .replace(/^\/api\/v1\//, '/')
    .split('/')
    .filter((w) => w && !w.startsWith('{'))
    .flatMap((w) => w.split(/[^a-zA-Z0-9]+/))
    .filter(Boolean);
  const byId = r.path.endsWith('}') ? 'ById' : '';
  return r.method + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('') + byId;
}
