import { actorOf } from '../auth/actor';
import { z } from 'zod';
import type { Services } from '../context';
import { DEVICE_PORTALS } from '../devices/routes';
import { deviceParams } from '../devices/schemas';
import { idempotencyKey, idParam } from '../http/schema-parts';
import { Reply, type Route, route } from '../http/route';
import type { Portal } from '../policy';
import { presentCommand } from './presenter';
import { commandAnswer, commandList, commandParams, createCommandBody, listCommandsQuery } from './schemas';

const merchantPart = { merchant_id: idParam.optional() };
const notFound = { NOT_FOUND: "Unknown device or command, or another merchant's" };

/** `{portal device base}/{device_id}/commands`: send a command to a tablet and follow it (§9), on both portals. */
export function commandRoutes({ commands, policy }: Services, portal: Portal): Route[] {
  const { base, tag, who } = DEVICE_PORTALS[portal];
  const path = `${base}/{device_id}/commands`;
  const common = { tag: `${tag}: commands`, auth: 'user', roles: [portal], description: who } as const;
  const deviceOnly = deviceParams.extend(merchantPart);
  const oneCommand = deviceOnly.extend(commandParams.shape);
  const merchantOf = (p: Parameters<typeof policy.portalMerchant>[0], id: number | undefined) =>
    policy.portalMerchant(p, portal, id);

  return [
    route({
      ...common,
      method: 'post',
      path,
      summary: 'Send a command to an active device (stored first, delivered at least once)',
      params: deviceOnly,
      headers: z.object({
        'Idempotency-Key': idempotencyKey.meta({
          description: 'Optional, per device: a retry with the same key and body returns the same command',
        }),
      }),
      body: createCommandBody,
      status: 201,
      response: commandAnswer,
      errors: {
        ...notFound,
        CONFLICT: 'The device is revoked or expired, or has 50 unfinished commands',
        IDEMPOTENCY_KEY_REUSED: 'The key was used with another request',
      },
      handler: async ({ principal, params, body, headers, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const key = headers['Idempotency-Key'];
        const actor = actorOf(principal, ip);
        const { command, replayed } = await commands.create(merchantId, params.device_id, actor, body, key);
        const answer = { command: presentCommand(command) };
        return replayed ? new Reply(201, answer, { 'Idempotent-Replayed': 'true' }) : answer;
      },
    }),
    route({
      ...common,
      method: 'get',
      path,
      summary: "The device's commands, newest first",
      params: deviceOnly,
      query: listCommandsQuery,
      response: commandList,
      errors: notFound,
      handler: async ({ principal, params, query }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const items = await commands.list(merchantId, params.device_id, query);
        return { items: items.map((c) => presentCommand(c)) };
      },
    }),
    route({
      ...common,
      method: 'get',
      path: `${path}/{command_id}`,
      summary: 'One command',
      params: oneCommand,
      response: commandAnswer,
      errors: notFound,
      handler: async ({ principal, params }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        return { command: presentCommand(await commands.get(merchantId, params.device_id, params.command_id)) };
      },
    }),
    route({
      ...common,
      method: 'post',
      path: `${path}/{command_id}/cancel`,
      summary: 'Cancel a queued or sent command',
      params: oneCommand,
      response: commandAnswer,
      errors: { ...notFound, CONFLICT: 'The command is past `sent`' },
      handler: async ({ principal, params, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const actor = actorOf(principal, ip);
        return {
          command: presentCommand(await commands.cancel(merchantId, params.device_id, params.command_id, actor)),
        };
      },
    }),
  ];
}
