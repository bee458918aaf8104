import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { date, id, int, text, timestamps } from './columns';

export class CreateTenancy1764000000000 implements MigrationInterface {
  name = 'CreateTenancy1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({ name: 'merchants', columns: [id(), text('name', 200), ...timestamps()] }));
    await q.createTable(
      new Table({
        name: 'stores',
        columns: [id(), int('merchant_id'), text('name', 200), text('code', 40), ...timestamps()],
        uniques: [{ name: 'uq_stores_code', columnNames: ['code'] }],
        indices: [{ name: 'idx_stores_merchant', columnNames: ['merchant_id'] }],
        foreignKeys: [
          {
            name: 'fk_stores_merchant',
            columnNames: ['merchant_id'],
            referencedTableName: 'merchants',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          id(),
          text('email', 254),
          text('password_hash', 255),
          text('role', 20),
          int('merchant_id', true),
          date('last_login_at', true),
          ...timestamps(),
        ],
        uniques: [{ name: 'uq_users_email', columnNames: ['email'] }],
        indices: [{ name: 'idx_users_merchant', columnNames: ['merchant_id'] }],
        foreignKeys: [
          {
            name: 'fk_users_merchant',
            columnNames: ['merchant_id'],
            referencedTableName: 'merchants',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'user_stores',
        columns: [
          { ...int('user_id'), isPrimary: true },
          { ...int('store_id'), isPrimary: true },
        ],
        indices: [{ name: 'idx_user_stores_store', columnNames: ['store_id'] }],
        foreignKeys: [
          {
            name: 'fk_user_stores_user',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            name: 'fk_user_stores_store',
            columnNames: ['store_id'],
            referencedTableName: 'stores',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('user_stores');
    await q.dropTable('users');
    await q.dropTable('stores');
    await q.dropTable('merchants');
  }
}
