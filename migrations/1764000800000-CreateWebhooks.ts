import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { date, id, int, text } from './columns';

/**
 * Webhooks (§13) and their transactional outbox:
 * - `webhook_endpoints`: a merchant's subscriptions; the signing secret (and the previous one during a rotation).
 * - `webhook_events`: an event as it is sent (the exact JSON body that is signed), keyed by its public id.
 * - `webhook_deliveries`: one per event and endpoint; the dispatcher claims due ones (status, next_attempt_at).
 */
export class CreateWebhooks1764000800000 implements MigrationInterface {
  name = 'CreateWebhooks1764000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          id(),
          int('merchant_id'),
          text('url', 2048),
          { name: 'events', type: 'text' },
          text('description', 200, true),
          { name: 'enabled', type: 'boolean', default: true },
          text('disabled_reason', 32, true),
          text('secret', 64),
          text('previous_secret', 64, true),
          date('previous_secret_until', true),
          date('failing_since', true),
          date('created_at'),
          date('updated_at'),
        ],
        indices: [{ name: 'idx_webhook_endpoints_merchant', columnNames: ['merchant_id', 'enabled'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_events',
        columns: [
          { ...text('id', 32), isPrimary: true },
          int('merchant_id'),
          text('type', 32),
          { name: 'payload', type: 'text' },
          date('created_at'),
        ],
        indices: [{ name: 'idx_webhook_events_created', columnNames: ['created_at'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          id(),
          int('merchant_id'),
          int('endpoint_id'),
          text('event_id', 32),
          text('event_type', 32),
          text('status', 12),
          int('attempts'),
          date('next_attempt_at'),
          date('claimed_until', true),
          date('last_attempt_at', true),
          int('response_status', true),
          int('response_ms', true),
          text('response_excerpt', 1024, true),
          date('created_at'),
        ],
        indices: [
          { name: 'idx_webhook_deliveries_due', columnNames: ['status', 'next_attempt_at'] },
          { name: 'idx_webhook_deliveries_endpoint', columnNames: ['endpoint_id', 'id'] },
          { name: 'idx_webhook_deliveries_created', columnNames: ['created_at'] },
        ],
        foreignKeys: [
          {
            columnNames: ['endpoint_id'],
            referencedTableName: 'webhook_endpoints',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['event_id'],
            referencedTableName: 'webhook_events',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('webhook_deliveries');
    await q.dropTable('webhook_events');
    await q.dropTable('webhook_endpoints');
  }
}
