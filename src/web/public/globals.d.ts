/**
 * What the pages find on `window` without importing it: Alpine (its CSP build, a script tag) and the Socket.IO
 * client (`/socket.io/socket.io.min.js`, a script tag), typed with the server's event interfaces from src/wire.ts.
 */
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { Locale } from '../../i18n';
import type { DashboardClientEvents, DashboardServerEvents } from '../../wire';

declare global {
  /** The /dashboard socket, both directions typed. */
  type DashboardSocket = Socket<DashboardServerEvents, DashboardClientEvents>;

  /** Values for `{name}` placeholders. */
  type TextParams = Record<string, string | number | null | undefined>;

  /** `$store.i18n`: the catalog of the chosen locale and the date helpers. */
  interface I18nStore {
    locale: Locale;
    messages: Record<string, string>;
    ready: boolean;
    t(key: string, params?: TextParams): string;
    use(locale: string, remember: boolean): Promise<void>;
    date(iso: string | null | undefined): string;
    dateTime(iso: string | null | undefined): string;
    relative(iso: string | null | undefined, now?: number): string;
  }

  /** `$store.clock`: the time relative dates are computed against, ticking every few seconds. */
  interface ClockStore {
    now: number;
  }

  interface AlpineStores {
    i18n: I18nStore;
    clock: ClockStore;
  }

  /** The magics a component's methods see on `this`. */
  interface AlpineMagics {
    $el: HTMLElement;
    $refs: Record<string, HTMLElement>;
    $nextTick(callback?: () => void): Promise<void>;
  }

  /** The part of Alpine's API the pages use. */
  interface AlpineGlobal {
    store<K extends keyof AlpineStores>(name: K): AlpineStores[K];
    store<K extends keyof AlpineStores>(name: K, value: AlpineStores[K]): void;
    /** A component: its methods see its own state and the magics on `this`. */
    data<T extends object>(name: string, callback: () => T & ThisType<T & AlpineMagics>): void;
  }

  var Alpine: AlpineGlobal;
  var io: ((namespace: string, options?: Partial<ManagerOptions & SocketOptions>) => DashboardSocket) | undefined;
}
