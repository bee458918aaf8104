import { loadConfig, loadDotEnv } from './src/config';
import { migrationCliLogger } from './src/db/cli-logger';
import { createDataSource } from './src/db/data-source';
import { describeDatabase, prepareSqliteFile } from './src/db/open';

/**
 * The TypeORM data source for the CLI (`npm run migration:run`, `migration:generate`, …): the same factory the
 * app uses, fed by the same environment variables (and `.env`, like `npm start`): DATABASE_URL, or the embedded
 * SQLite file under DATA_DIR. It says which database it acts on, and prints migrations by name, not their SQL.
 */
export { createDataSource };
loadDotEnv();
const config = loadConfig(process.env);
process.stdout.write(`Database: ${describeDatabase(config)}\n`);
prepareSqliteFile(config); // owner-only, as the server creates it
const dataSource = createDataSource(config);
dataSource.setOptions({ logger: migrationCliLogger() });
export default dataSource;
