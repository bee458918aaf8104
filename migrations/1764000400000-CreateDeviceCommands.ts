import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { date, id, int, text } from './columns';

/**
 * `device_commands`: what a merchant asked a tablet to do, and how far it got. Indexes for a device's unfinished
 * commands (redelivery on connect, the 50-unfinished cap), for the expiry sweep, for the merchant's listing, and
 * the Idempotency-Key of a create (unique per device).
 */
export class CreateDeviceCommands1764000400000 implements MigrationInterface {
  name = 'CreateDeviceCommands1764000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'device_commands',
        columns: [
          id(),
          int('merchant_id'),
          int('device_id'),
          text('type', 20),
          { name: 'args', type: 'text', isNullable: true },
          text('status', 12),
          { name: 'result', type: 'text', isNullable: true },
          { name: 'error', type: 'text', isNullable: true },
          text('idempotency_key', 255, true),
          text('request_hash', 64, true),
          date('created_at'),
          int('created_by_id', true),
          date('sent_at', true),
          date('delivered_at', true),
          date('completed_at', true),
          date('expires_at'),
        ],
        uniques: [{ name: 'uq_device_commands_idempotency', columnNames: ['device_id', 'idempotency_key'] }],
        indices: [
          { name: 'idx_device_commands_device_status', columnNames: ['device_id', 'status', 'id'] },
          { name: 'idx_device_commands_status_expiry', columnNames: ['status', 'expires_at'] },
        ],
        foreignKeys: [
          {
            name: 'fk_device_commands_device',
            columnNames: ['device_id'],
            referencedTableName: 'loyalty_terminal_devices',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('device_commands');
  }
}
