import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Offline alerts (§13): the merchant's threshold (`merchants.offline_after_s`, NULL: off) and, per device, when the
 * alert of its current outage was raised (`offline_alert_at`, NULL: none raised; cleared when it comes back).
 */
export class AddOfflineAlerts1764000900000 implements MigrationInterface {
  name = 'AddOfflineAlerts1764000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('merchants', new TableColumn({ name: 'offline_after_s', type: 'integer', isNullable: true }));
    await q.addColumn(
      'loyalty_terminal_devices',
      new TableColumn({ name: 'offline_alert_at', type: 'datetime', precision: 3, isNullable: true }),
    );
    await q.createIndex(
      'loyalty_terminal_devices',
      new TableIndex({
        name: 'idx_devices_offline_check',
        columnNames: ['merchant_id', 'offline_alert_at', 'last_seen_at'],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('loyalty_terminal_devices', 'idx_devices_offline_check');
    await q.dropColumn('loyalty_terminal_devices', 'offline_alert_at');
    await q.dropColumn('merchants', 'offline_after_s');
  }
}
