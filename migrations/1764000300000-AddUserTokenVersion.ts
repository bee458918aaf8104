import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** `users.token_version`: user tokens carry it; changing the password bumps it, so older tokens are refused. */
export class AddUserTokenVersion1764000300000 implements MigrationInterface {
  name = 'AddUserTokenVersion1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'users',
      new TableColumn({ name: 'token_version', type: 'integer', isNullable: false, default: 0 }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('users', 'token_version');
  }
}
