import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * `loyalty_terminal_devices.state`: the latest state the tablet reported (app and OS versions, battery, network…),
 * as JSON text with its `updated_at`; NULL until a first report. `text` on both databases.
 */
export class AddDeviceState1764000600000 implements MigrationInterface {
  name = 'AddDeviceState1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('loyalty_terminal_devices', new TableColumn({ name: 'state', type: 'text', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('loyalty_terminal_devices', 'state');
  }
}
