import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { date, id, int, text } from './columns';

/**
 * `audit_events`: who did what, append-only. Indexes for a merchant's log newest first (merchant, id), a device's
 * history (merchant, target, id), an action (merchant, action, id), and the retention purge (at).
 */
export class CreateAuditEvents1764000700000 implements MigrationInterface {
  name = 'CreateAuditEvents1764000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          id(),
          int('merchant_id'),
          date('at'),
          text('actor_kind', 8),
          int('actor_id', true),
          text('actor_email', 254, true),
          { name: 'on_behalf', type: 'boolean', default: false },
          text('action', 48),
          text('target_type', 16),
          int('target_id', true),
          int('device_id', true),
          text('ip', 64, true),
          { name: 'details', type: 'text', isNullable: true },
        ],
        indices: [
          { name: 'idx_audit_merchant', columnNames: ['merchant_id', 'id'] },
          { name: 'idx_audit_device', columnNames: ['merchant_id', 'device_id', 'id'] },
          { name: 'idx_audit_action', columnNames: ['merchant_id', 'action', 'id'] },
          { name: 'idx_audit_at', columnNames: ['at'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_events');
  }
}
