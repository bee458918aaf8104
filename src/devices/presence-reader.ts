/** What the domain needs to know of presence: which of these devices have a socket on any node. */
export interface PresenceReader {
  onlineDeviceIds(deviceIds: number[]): Promise<Set<number>>;
}
