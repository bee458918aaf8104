import { Table, type MigrationInterface, type QueryRunner, type TableForeignKeyOptions } from 'typeorm';
import { date, id, int, text, timestamps } from './columns';

const fk = (
  table: string,
  column: string,
  referenced: string,
  onDelete: 'CASCADE' | 'SET NULL',
): TableForeignKeyOptions => ({
  name: `fk_${table}_${column}`.replace('loyalty_', 'l_'),
  columnNames: [column],
  referencedTableName: referenced,
  referencedColumnNames: ['id'],
  onDelete,
});

const CHECKS: Record<string, { name: string; expression: string }[]> = {
  loyalty_programs: [{ name: 'ck_loyalty_programs_stamps_required', expression: 'stamps_required >= 1' }],
  loyalty_cards: [
    { name: 'ck_loyalty_cards_stamps', expression: 'stamps >= 0' },
    { name: 'ck_loyalty_cards_rewards_redeemed', expression: 'rewards_redeemed >= 0' },
  ],
};

/** Loyalty programs, cards, their transactions, and the Idempotency-Key answers of the store API. */
export class CreateLoyalty1764000200000 implements MigrationInterface {
  name = 'CreateLoyalty1764000200000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql';
    // TypeORM's MySQL driver refuses CHECK in createTable; they are added below with plain SQL there.
    const checks = (table: string) => (mysql ? [] : (CHECKS[table] ?? []));
    await q.createTable(
      new Table({
        name: 'loyalty_programs',
        columns: [
          id(),
          int('merchant_id'),
          int('stamps_required'),
          text('reward_label', 100),
          int('updated_by_id', true),
          ...timestamps(),
        ],
        uniques: [{ name: 'uq_loyalty_programs_merchant', columnNames: ['merchant_id'] }],
        checks: checks('loyalty_programs'),
        foreignKeys: [
          fk('loyalty_programs', 'merchant_id', 'merchants', 'CASCADE'),
          fk('loyalty_programs', 'updated_by_id', 'users', 'SET NULL'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'loyalty_cards',
        columns: [
          id(),
          int('merchant_id'),
          text('card_number', 32),
          text('customer_name', 100, true),
          { ...int('stamps'), default: 0 },
          { ...int('rewards_redeemed'), default: 0 },
          int('enrolled_store_id', true),
          ...timestamps(),
        ],
        uniques: [{ name: 'uq_loyalty_cards_merchant_number', columnNames: ['merchant_id', 'card_number'] }],
        checks: checks('loyalty_cards'),
        indices: [{ name: 'idx_loyalty_cards_enrolled_store', columnNames: ['enrolled_store_id'] }],
        foreignKeys: [
          fk('loyalty_cards', 'merchant_id', 'merchants', 'CASCADE'),
          fk('loyalty_cards', 'enrolled_store_id', 'stores', 'SET NULL'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'loyalty_transactions',
        columns: [
          id(),
          int('merchant_id'),
          int('card_id'),
          int('store_id'),
          int('device_id', true),
          int('acting_user_id', true),
          text('type', 10),
          int('delta'),
          text('idempotency_key', 255, true),
          date('created_at'),
        ],
        indices: [
          { name: 'idx_loyalty_transactions_store', columnNames: ['store_id', 'id'] },
          { name: 'idx_loyalty_transactions_card', columnNames: ['card_id', 'id'] },
          { name: 'idx_loyalty_transactions_merchant', columnNames: ['merchant_id'] },
          { name: 'idx_loyalty_transactions_device', columnNames: ['device_id'] },
          { name: 'idx_loyalty_transactions_user', columnNames: ['acting_user_id'] },
        ],
        foreignKeys: [
          fk('loyalty_transactions', 'merchant_id', 'merchants', 'CASCADE'),
          fk('loyalty_transactions', 'card_id', 'loyalty_cards', 'CASCADE'),
          fk('loyalty_transactions', 'store_id', 'stores', 'CASCADE'),
          fk('loyalty_transactions', 'device_id', 'loyalty_terminal_devices', 'SET NULL'),
          fk('loyalty_transactions', 'acting_user_id', 'users', 'SET NULL'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'loyalty_idempotency_keys',
        columns: [
          id(),
          int('store_id'),
          text('idempotency_key', 255),
          text('request_hash', 64),
          int('status_code'),
          { name: 'response_body', type: 'text' },
          date('created_at'),
        ],
        uniques: [{ name: 'uq_loyalty_idempotency_keys_store_key', columnNames: ['store_id', 'idempotency_key'] }],
        indices: [{ name: 'idx_loyalty_idempotency_keys_created', columnNames: ['created_at'] }],
        foreignKeys: [fk('loyalty_idempotency_keys', 'store_id', 'stores', 'CASCADE')],
      }),
    );
    if (mysql) {
      for (const [table, list] of Object.entries(CHECKS)) {
        for (const c of list) await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${c.name} CHECK (${c.expression})`);
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('loyalty_idempotency_keys');
    await q.dropTable('loyalty_transactions');
    await q.dropTable('loyalty_cards');
    await q.dropTable('loyalty_programs');
  }
}
