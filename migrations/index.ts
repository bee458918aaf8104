import { CreateTenancy1764000000000 } from './1764000000000-CreateTenancy';
import { CreateTerminalDevices1764000100000 } from './1764000100000-CreateTerminalDevices';
import { CreateLoyalty1764000200000 } from './1764000200000-CreateLoyalty';
import { AddUserTokenVersion1764000300000 } from './1764000300000-AddUserTokenVersion';
import { CreateDeviceCommands1764000400000 } from './1764000400000-CreateDeviceCommands';
import { AddDeviceTokenRenewal1764000500000 } from './1764000500000-AddDeviceTokenRenewal';
import { AddDeviceState1764000600000 } from './1764000600000-AddDeviceState';
import { CreateAuditEvents1764000700000 } from './1764000700000-CreateAuditEvents';
import { CreateWebhooks1764000800000 } from './1764000800000-CreateWebhooks';
import { AddOfflineAlerts1764000900000 } from './1764000900000-AddOfflineAlerts';

/** Every migration, in order. New ones are appended here (the app and the CLI both read this list). */
export const migrations = [
  CreateTenancy1764000000000,
  CreateTerminalDevices1764000100000,
  CreateLoyalty1764000200000,
  AddUserTokenVersion1764000300000,
  CreateDeviceCommands1764000400000,
  AddDeviceTokenRenewal1764000500000,
  AddDeviceState1764000600000,
  CreateAuditEvents1764000700000,
  CreateWebhooks1764000800000,
  AddOfflineAlerts1764000900000,
];
