/** setTimeout holds at most 2^31-1 ms (~24.8 days); longer waits (1-year tokens) re-arm until the instant. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Calls fn once at `at`; returns a function that cancels it. */
export function runAt(at: Date, fn: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const ms = at.getTime() - Date.now() + 5; // timers may fire a millisecond early; be past the instant
    timer = setTimeout(ms <= MAX_TIMEOUT_MS ? fn : arm, Math.max(0, Math.min(ms, MAX_TIMEOUT_MS)));
  };
  arm();
  return () => clearTimeout(timer);
}
