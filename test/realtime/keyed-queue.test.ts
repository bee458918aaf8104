import { expect } from 'chai';
import { KeyedQueue } from '../../src/realtime/keyed-queue';
import { sleep } from '../helpers';

/** A promise and the function that resolves it. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('KeyedQueue: one task at a time per key', () => {
  let errors: unknown[];
  let q: KeyedQueue;
  beforeEach(() => {
    errors = [];
    q = new KeyedQueue((err) => errors.push(err));
  });

  it('runs the tasks of a key in order, each after the previous one has finished', async () => {
    const log: string[] = [];
    // The first task is the slowest: run concurrently, it would finish last.
    for (const [name, ms] of [
      ['a', 30],
      ['b', 10],
      ['c', 0],
    ] as const) {
      q.run(1, async () => {
        log.push(`${name} start`);
        await sleep(ms);
        log.push(`${name} end`);
      });
    }
    await q.idle();
    expect(log).to.deep.equal(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(errors).to.deep.equal([]);
  });

  it('keys are independent: a task waiting on one key does not hold up another key', async () => {
    const blocker = gate();
    const log: string[] = [];
    q.run(1, async () => {
      await blocker.opened;
      log.push('key 1');
    });
    q.run(2, async () => {
      log.push('key 2');
    });
    await sleep(20);
    expect(log).to.deep.equal(['key 2']);
    blocker.open();
    await q.idle();
    expect(log).to.deep.equal(['key 2', 'key 1']);
  });

  it('a task that fails reaches onError, and the next task of its key still runs', async () => {
    const boom = new Error('boom');
    const log: string[] = [];
    q.run(7, async () => {
      throw boom;
    });
    q.run(7, async () => {
      log.push('after the failure');
    });
    await q.idle();
    expect(errors).to.deep.equal([boom]);
    expect(log).to.deep.equal(['after the failure']);
  });

  it('idle resolves once every task of every key has finished', async () => {
    const done: number[] = [];
    for (const key of [1, 2, 3])
      q.run(key, async () => {
        await sleep(10 * key);
        done.push(key);
      });
    q.run(1, async () => {
      await sleep(40);
      done.push(10);
    });
    await q.idle();
    expect(done.sort((x, y) => x - y)).to.deep.equal([1, 2, 3, 10]);
    await q.idle(); // nothing queued: resolves at once
  });
});
