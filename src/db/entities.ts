import { TerminalDevice } from '../devices/entities';
import { Merchant, Store, User, UserStore } from '../tenancy/entities';

export const entities = [Merchant, Store, User, UserStore, TerminalDevice];
