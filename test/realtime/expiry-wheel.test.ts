import { expect } from 'chai';
import { ExpiryWheel } from '../../src/realtime/expiry-wheel';
import { sleep, waitFor } from '../helpers';

describe('ExpiryWheel: one timer for every socket that must end at an instant', () => {
  it('hands each member over once its instant passes, earliest first; a member deleted before never comes', async () => {
    const expired: string[] = [];
    const wheel = new ExpiryWheel<string>((m) => expired.push(m));
    const at = (ms: number) => new Date(Date.now() + ms);
    wheel.add('late', at(300));
    wheel.add('early', at(100));
    wheel.add('gone', at(150));
    wheel.add('middle', at(200));
    wheel.delete('gone');
    await waitFor(() => expired.length === 3, 2000, 10);
    expect(expired).to.deep.equal(['early', 'middle', 'late']);
    expect(wheel.size).to.equal(0);
    await sleep(100);
    expect(expired).to.have.length(3);
  });

  it('a member added earlier than the one the timer waits for is expired at its own instant', async () => {
    const expired: number[] = [];
    const wheel = new ExpiryWheel<number>((m) => expired.push(Date.now() - m));
    const start = Date.now();
    wheel.add(start, new Date(start + 10_000));
    const soon = Date.now();
    wheel.add(soon, new Date(soon + 50));
    await waitFor(() => expired.length === 1, 1000, 5);
    expect(expired[0]).to.be.within(45, 300);
    wheel.stop();
  });
});
