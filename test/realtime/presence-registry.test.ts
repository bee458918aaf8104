import { expect } from 'chai';
import { LocalPresence, type PresenceListener } from '../../src/realtime/presence-registry';

const listener: PresenceListener = { lost: () => undefined, restored: () => undefined };

describe('LocalPresence: sockets counted per device', () => {
  let p: LocalPresence;
  beforeEach(async () => {
    p = new LocalPresence();
    await p.start(listener);
  });

  const online = async (...ids: number[]) => [...(await p.onlineDeviceIds(ids))].sort((a, b) => a - b);

  it('the first socket of a device brings it online, a second one does not announce it again', async () => {
    expect(await p.connected(1)).to.equal(true);
    expect(await p.connected(1)).to.equal(false);
    expect(await online(1, 2)).to.deep.equal([1]);
  });

  it('closing one of two sockets keeps the device online; closing the last takes it offline', async () => {
    await p.connected(1);
    await p.connected(1);
    expect(await p.disconnected(1)).to.equal(false);
    expect(await online(1)).to.deep.equal([1]);
    expect(await p.disconnected(1)).to.equal(true);
    expect(await online(1)).to.deep.equal([]);
    expect(await p.connected(1), 'online again: announced again').to.equal(true);
  });

  it('devices are counted apart', async () => {
    expect(await p.connected(1)).to.equal(true);
    expect(await p.connected(2)).to.equal(true);
    expect(await p.connected(2)).to.equal(false);
    expect(await p.disconnected(1)).to.equal(true);
    expect(await online(1, 2, 3)).to.deep.equal([2]);
  });

  it('leave returns the devices that had sockets, once, and leaves none online', async () => {
    await p.connected(3);
    await p.connected(5);
    await p.connected(5);
    await p.connected(8);
    await p.disconnected(8);
    expect((await p.leave()).sort((a, b) => a - b)).to.deep.equal([3, 5]);
    expect(await online(3, 5, 8)).to.deep.equal([]);
    expect(await p.leave()).to.deep.equal([]);
  });
});
