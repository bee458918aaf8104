import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { date, id, int, text, timestamps } from './columns';

const CHECK = { name: 'ck_loyalty_terminal_devices_expiry_after_creation', expression: 'expires_at > created_at' };

export class CreateTerminalDevices1764000100000 implements MigrationInterface {
  name = 'CreateTerminalDevices1764000100000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql';
    await q.createTable(
      new Table({
        name: 'loyalty_terminal_devices',
        columns: [
          id(),
          int('merchant_id'),
          int('store_id'),
          text('label', 100),
          text('jti', 36),
          date('expires_at'),
          date('last_seen_at', true),
          text('last_seen_ip', 45, true),
          date('revoked_at', true),
          int('revoked_by_id', true),
          text('revoked_reason', 255, true),
          int('created_by_id', true),
          date('expiry_warned_at', true),
          ...timestamps(),
        ],
        uniques: [{ name: 'uq_loyalty_terminal_devices_jti', columnNames: ['jti'] }],
        // TypeORM's MySQL driver refuses CHECK in createTable; it is added below with plain SQL there.
        checks: mysql ? [] : [CHECK],
        indices: [
          { name: 'idx_loyalty_terminal_devices_store_active', columnNames: ['store_id', 'revoked_at'] },
          { name: 'idx_loyalty_terminal_devices_merchant', columnNames: ['merchant_id', 'created_at'] },
          { name: 'idx_loyalty_terminal_devices_expiry', columnNames: ['expires_at'] },
        ],
        foreignKeys: [
          {
            name: 'fk_ltd_merchant',
            columnNames: ['merchant_id'],
            referencedTableName: 'merchants',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            name: 'fk_ltd_store',
            columnNames: ['store_id'],
            referencedTableName: 'stores',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            name: 'fk_ltd_revoked_by',
            columnNames: ['revoked_by_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'SET NULL',
          },
          {
            name: 'fk_ltd_created_by',
            columnNames: ['created_by_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'SET NULL',
          },
        ],
      }),
    );
    if (mysql) {
      await q.query(`ALTER TABLE loyalty_terminal_devices ADD CONSTRAINT ${CHECK.name} CHECK (${CHECK.expression})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('loyalty_terminal_devices');
  }
}
