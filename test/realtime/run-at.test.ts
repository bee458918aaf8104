import { type Clock, install } from '@sinonjs/fake-timers';
import { expect } from 'chai';
import { runAt } from '../../src/realtime/run-at';

const DAY = 86_400_000;
const MAX_TIMEOUT_MS = 2 ** 31 - 1; // what setTimeout holds (~24.8 days); fake timers, like Node, fire longer delays at once

describe('runAt: one call at an instant, however far', () => {
  let clock: Clock;
  let calls: number[];
  const fn = () => {
    calls.push(Date.now());
  };
  beforeEach(() => {
    clock = install({ now: Date.parse('2026-01-01T00:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    calls = [];
  });
  afterEach(() => clock.uninstall());

  it('a year away (past 2^31 ms): not early, once at the instant, never again', () => {
    const at = new Date(Date.now() + 365 * DAY);
    runAt(at, fn);
    clock.tick(1); // an overflowing setTimeout would have fired here
    clock.tick(MAX_TIMEOUT_MS);
    clock.tick(2 * MAX_TIMEOUT_MS);
    expect(calls).to.deep.equal([]);
    clock.tick(at.getTime() - 1 - Date.now());
    expect(calls, 'a millisecond before').to.deep.equal([]);
    clock.tick(50);
    expect(calls).to.have.length(1);
    expect(calls[0])
      .to.be.at.least(at.getTime())
      .and.below(at.getTime() + 50);
    clock.tick(400 * DAY);
    expect(calls).to.have.length(1);
  });

  it('just past one timeout (2^31 ms + 1 s) and just under it: once each, at their instants', () => {
    const later = new Date(Date.now() + MAX_TIMEOUT_MS + 1000);
    const sooner = new Date(Date.now() + MAX_TIMEOUT_MS - 1000);
    runAt(later, fn);
    runAt(sooner, fn);
    clock.tick(sooner.getTime() - 1 - Date.now());
    expect(calls).to.deep.equal([]);
    clock.tick(later.getTime() - 1 - Date.now());
    expect(calls).to.have.length(1);
    expect(calls[0])
      .to.be.at.least(sooner.getTime())
      .and.below(sooner.getTime() + 50);
    clock.tick(50);
    expect(calls).to.have.length(2);
    expect(calls[1])
      .to.be.at.least(later.getTime())
      .and.below(later.getTime() + 50);
  });

  it('an instant already past runs at once', () => {
    runAt(new Date(Date.now() - DAY), fn);
    clock.tick(10);
    expect(calls).to.have.length(1);
  });

  it('cancel works before the instant, also after the timer has re-armed', () => {
    const at = new Date(Date.now() + 60 * DAY);
    const cancelEarly = runAt(at, fn);
    const cancelLate = runAt(at, fn);
    cancelEarly();
    clock.tick(30 * DAY); // past the first timeout: the long wait has re-armed
    cancelLate();
    clock.tick(60 * DAY);
    expect(calls).to.deep.equal([]);
    expect(clock.countTimers()).to.equal(0);
  });
});
