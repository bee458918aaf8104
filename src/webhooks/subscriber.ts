import type { DeviceCommand } from '../commands/entities';
import { presentCommand } from '../commands/presenter';
import type { DeviceView } from '../devices/domain';
import type { TerminalDevice } from '../devices/entities';
import { presentDevice } from '../devices/presenter';
import type { DeviceService } from '../devices/service';
import type { EventBus, RevokedDevice, TransactionalEventMap } from '../events';
import type { WebhookEventType } from './entities';
import type { EndpointsAhead, WebhookOutbox } from './outbox';

/** A transactional event about one device: its row, or (a revoke) what it knows and how to read its view. */
type AboutDevice = { device: TerminalDevice } | { device: RevokedDevice; view: () => Promise<DeviceView> };
type DeviceEvent = {
  [K in keyof TransactionalEventMap]: TransactionalEventMap[K] extends AboutDevice ? K : never;
}[keyof TransactionalEventMap];

/**
 * What becomes a webhook event (§13), and how. Portal and device actions (pairing, rename, revoke, reissue,
 * renewal, a command's creation and end, the expiry flag, an offline alert) go into the outbox inside their own
 * transaction.
 * Presence transitions (from the node that announces them) and a command's `sent`/`delivered`
 * are batched (`buffer`): no transaction causes them, and a storm of them costs one transaction per chunk.
 */
export function webhookSubscriber(
  events: EventBus,
  outbox: WebhookOutbox,
  devices: Pick<DeviceService, 'views'>,
  warningDays: number,
): void {
  const onDevice = <K extends DeviceEvent>(
    name: K,
    type: WebhookEventType,
    extra: (e: TransactionalEventMap[K]) => Record<string, unknown> = () => ({}),
  ) =>
    events.onTransaction(
      name,
      async (e, m, ahead) => {
        const about = e as AboutDevice;
        // The device's view (a read, and presence) only when an endpoint subscribes; a revoke's, as it gives it.
        const data = async () => {
          const view = 'view' in about ? await about.view() : (await devices.views([about.device], m))[0];
          return { device: presentDevice(view, warningDays), ...extra(e) };
        };
        const event = { merchantId: about.device.merchantId, type, data };
        await outbox.enqueue(m, event, undefined, ahead as EndpointsAhead | undefined);
      },
      ({ merchantId }) => outbox.readAhead(merchantId),
    );
  const command = (c: DeviceCommand) => ({
    merchantId: c.merchantId,
    type: 'command.updated' as const,
    data: { command: presentCommand(c) },
  });

  onDevice('device.paired', 'device.paired');
  onDevice('device.renamed', 'device.updated');
  onDevice('device.token_renewed', 'device.updated');
  onDevice('device.revoked', 'device.revoked');
  onDevice('device.reissued', 'device.reissued');
  onDevice('device.expiry_flagged', 'device.expiring');
  onDevice('device.offline_alert', 'device.offline_alert', (e) => ({ offline_since: e.offlineSince.toISOString() }));
  onDevice('device.back_online', 'device.back_online', (e) => ({ offline_for_s: e.offlineForS }));
  for (const name of ['command.created', 'command.finished'] as const)
    events.onTransaction(name, async ({ command: c }, m) => void (await outbox.enqueue(m, command(c))));
  events.on('command.updated', ({ command: c }) => {
    if (c.status === 'sent' || c.status === 'delivered') outbox.buffer(command(c));
  });
  events.on('device.presence', ({ device: d, online, reason }) =>
    outbox.buffer({
      merchantId: d.merchant_id,
      type: online ? 'device.online' : 'device.offline',
      data: online ? { device: d } : { device: d, reason },
    }),
  );
}
