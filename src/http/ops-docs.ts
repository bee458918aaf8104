import type { ApiOp } from './openapi';

export const opsDocs: ApiOp[] = [
  {
    method: 'get',
    path: '/healthz',
    tag: 'operations',
    auth: 'none',
    summary: 'The process is up',
    responses: { 200: '{status: "ok"}' },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'operations',
    auth: 'none',
    summary: 'The database (and Redis, when configured) answer',
    responses: { 200: '{status: "ready"}', 503: '{status: "unavailable", failing}' },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    auth: 'none',
    summary: 'Prometheus metrics (text format)',
    responses: { 200: 'Prometheus text' },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'operations',
    auth: 'none',
    summary: 'This document',
    responses: { 200: 'OpenAPI 3.1' },
  },
];
