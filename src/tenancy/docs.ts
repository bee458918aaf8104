import type { ApiOp } from '../http/openapi';
import { listQuery, loginBody, merchantBody, storeBody, userBody } from './schemas';

const M = '/api/v1/admin/merchants';
const adminErrors = { 401: 'Not authenticated', 403: 'Not an admin' };

export const tenancyDocs: ApiOp[] = [
  { method: 'post', path: '/api/v1/auth/login', tag: 'auth', auth: 'none', summary: 'Log in with email and password', body: loginBody, responses: { 200: '{token, expires_at, user}', 400: 'Validation error', 401: 'INVALID_CREDENTIALS', 429: 'Too many failed attempts' } },
  { method: 'get', path: '/api/v1/auth/me', tag: 'auth', auth: 'user', summary: 'The current user', responses: { 200: '{user}', 401: 'Not authenticated', 403: 'Device tokens are refused' } },
  { method: 'post', path: M, tag: 'admin', auth: 'user', summary: 'Create a merchant', body: merchantBody, responses: { 201: '{merchant}', 400: 'Validation error', ...adminErrors } },
  { method: 'get', path: M, tag: 'admin', auth: 'user', summary: 'List merchants', query: listQuery, responses: { 200: '{items, total}', ...adminErrors } },
  { method: 'get', path: `${M}/{merchant_id}`, tag: 'admin', auth: 'user', summary: 'One merchant', responses: { 200: '{merchant}', 404: 'Unknown merchant', ...adminErrors } },
  { method: 'post', path: `${M}/{merchant_id}/stores`, tag: 'admin', auth: 'user', summary: 'Create a store (code unique, upper-cased)', body: storeBody, responses: { 201: '{store}', 400: 'Validation error', 404: 'Unknown merchant', 409: 'Store code taken', ...adminErrors } },
  { method: 'get', path: `${M}/{merchant_id}/stores`, tag: 'admin', auth: 'user', summary: "A merchant's stores", responses: { 200: '{items}', 404: 'Unknown merchant', ...adminErrors } },
  { method: 'post', path: `${M}/{merchant_id}/users`, tag: 'admin', auth: 'user', summary: 'Create a merchant or store_staff user', body: userBody, responses: { 201: '{user}', 400: 'Validation error', 404: 'Unknown merchant or store of another merchant', 409: 'Email taken', ...adminErrors } },
  { method: 'get', path: `${M}/{merchant_id}/users`, tag: 'admin', auth: 'user', summary: "A merchant's users", query: listQuery, responses: { 200: '{items, total}', 404: 'Unknown merchant', ...adminErrors } },
  { method: 'get', path: '/api/v1/merchants/stores', tag: 'merchant', auth: 'user', summary: "The caller's stores (merchant: all; store staff: assigned)", responses: { 200: '{items}', 401: 'Not authenticated', 403: 'Admins and devices are refused' } },
];
