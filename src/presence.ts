/** What the domain needs to know of presence: which of these devices have a socket on any node. */
export interface PresenceReader {
  onlineDeviceIds(deviceIds: number[]): Promise<Set<number>>;
}

export const nobodyOnline: PresenceReader = { onlineDeviceIds: async () => new Set() };
