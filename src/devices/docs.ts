import type { ApiOp } from '../http/openapi';
import { listDevicesQuery, pairBody, renameBody, revokeBody } from './schemas';

const BASES = [
  {
    base: '/api/v1/merchants/loyalty/devices',
    tag: 'devices (merchant portal)',
    who: "the merchant user's own merchant",
  },
  {
    base: '/api/v1/admin/merchants/{merchant_id}/loyalty/devices',
    tag: 'devices (admin on behalf)',
    who: 'the merchant in the path; the admin is recorded as the actor',
  },
];
const errors = {
  401: 'Not authenticated',
  403: 'Wrong role, or a device token',
  404: "Unknown device or merchant, or another merchant's",
};

export const deviceDocs: ApiOp[] = BASES.flatMap(
  ({ base, tag, who }) =>
    [
      {
        method: 'get',
        path: base,
        tag,
        auth: 'user',
        summary: 'List devices, newest first',
        description: `Acts on ${who}.`,
        query: listDevicesQuery,
        responses: { 200: '{items: [Device], total}', 400: 'Validation error', ...errors },
      },
      {
        method: 'post',
        path: base,
        tag,
        auth: 'user',
        summary: 'Pair a new device to a store; the token is shown once',
        description: `Acts on ${who}. Cache-Control: no-store.`,
        body: pairBody,
        responses: {
          201: '{device, pairing: {auth_token, expires_at, qr: {payload, png_base64}}}',
          400: 'Validation error',
          ...errors,
        },
      },
      {
        method: 'get',
        path: `${base}/{device_id}`,
        tag,
        auth: 'user',
        summary: 'One device',
        responses: { 200: '{device}', ...errors },
      },
      {
        method: 'patch',
        path: `${base}/{device_id}`,
        tag,
        auth: 'user',
        summary: 'Rename a device',
        body: renameBody,
        responses: { 200: '{device}', 400: 'Validation error', ...errors },
      },
      {
        method: 'post',
        path: `${base}/{device_id}/revoke`,
        tag,
        auth: 'user',
        summary: 'Revoke now (idempotent: the first revoked_at, actor and reason stay)',
        body: revokeBody,
        responses: { 200: '{device}', 400: 'Validation error', ...errors },
      },
      {
        method: 'post',
        path: `${base}/{device_id}/reissue`,
        tag,
        auth: 'user',
        summary:
          'New token and QR for the same device; the old token is refused at once, its sockets dropped (reason reissued)',
        description: 'Cache-Control: no-store. A revoked device cannot be reissued (409 CONFLICT).',
        responses: { 200: '{device, pairing}', 409: 'Device revoked', ...errors },
      },
    ] satisfies ApiOp[],
);
