import { expect } from 'chai';
import { RecentlySeen } from '../../src/realtime/recently-seen';
import { sleep } from '../helpers';

describe('RecentlySeen: what a node saw happen to a device lately', () => {
  it('answers what was seen at or after a moment, merges while fresh, and forgets past its time', async () => {
    const seen = new RecentlySeen<string[]>(100);
    const before = Date.now();
    seen.set(1, ['revoked']);
    seen.set(1, ['reissued'], (fresh) => [...fresh, 'reissued']);
    expect(seen.since(1, before)?.value).to.deep.equal(['revoked', 'reissued']);
    expect(seen.since(1, Date.now() + 1)).to.equal(undefined); // a check that began after it
    expect(seen.since(2, before)).to.equal(undefined);
    await sleep(150);
    seen.set(1, ['revoked'], (fresh) => [...fresh, 'revoked']); // the old ones are past their time: not merged
    expect(seen.since(1, before)?.value).to.deep.equal(['revoked']);
  });
});
