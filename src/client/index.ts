/** The reference tablet client: `import { TabletClient } from 'terminal-hub/src/client'`. */
export {
  type Credentials,
  type CredentialStore,
  defaultState,
  type ExecutedCommand,
  FileCredentialStore,
  fetchSession,
  MemoryCredentialStore,
  type StopReason,
  TabletClient,
  type TabletEvents,
  type TabletOptions,
  type TabletState,
} from './tablet';
export type * from '../wire';
