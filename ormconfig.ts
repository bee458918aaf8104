import { loadConfig } from './src/config';
import { createDataSource } from './src/db/data-source';

/**
 * The TypeORM data source for the CLI (`npm run migration:run`, `migration:generate`, …): the same factory the
 * app uses, fed by the same environment variables (DATABASE_URL, or the embedded SQLite file under DATA_DIR).
 */
export { createDataSource };
export default createDataSource(loadConfig(process.env));
