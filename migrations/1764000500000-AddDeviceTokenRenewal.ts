import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

const TABLE = 'loyalty_terminal_devices';
const INDEX = 'uq_loyalty_terminal_devices_previous_jti';

/**
 * Token renewal: the jti a renewal replaced (`previous_jti`, valid until `previous_jti_until` or until the new token
 * is first used). Unique (NULLs do not collide), so the token check looks a jti up in either column by index.
 */
export class AddDeviceTokenRenewal1764000500000 implements MigrationInterface {
  name = 'AddDeviceTokenRenewal1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns(TABLE, [
      new TableColumn({ name: 'previous_jti', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'previous_jti_until', type: 'datetime', precision: 3, isNullable: true }),
    ]);
    await q.createIndex(TABLE, new TableIndex({ name: INDEX, columnNames: ['previous_jti'], isUnique: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex(TABLE, INDEX);
    await q.dropColumns(TABLE, ['previous_jti_until', 'previous_jti']);
  }
}
