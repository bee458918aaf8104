/** Runs tasks one after another per key, so a device's online and offline announcements keep their order. */
export class KeyedQueue {
  private readonly tails = new Map<number, Promise<void>>();
  constructor(private readonly onError: (err: unknown) => void) {}

  run(key: number, task: () => Promise<void>): void {
    const tail: Promise<void> = (this.tails.get(key) ?? Promise.resolve())
      .then(task)
      .catch(this.onError)
      .finally(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    this.tails.set(key, tail);
  }

  idle(): Promise<unknown> {
    return Promise.all(this.tails.values());
  }
}
