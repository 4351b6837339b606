/**
 * Bounded concurrency. Hand-written (a dozen lines) because no limiter package is installed and
 * p-limit is ESM-only; this keeps at most `n` tasks running and queues the rest in order.
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function limiter(n: number): Limiter {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${n}: pass e.g. --concurrency 32`);
  let running = 0;
  const queue: Array<() => void> = [];
  const release = (): void => {
    running--;
    const next = queue.shift();
    if (next) next();
  };
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = (): void => {
        running++;
        task().then(resolve, reject).finally(release);
      };
      if (running < n) start();
      else queue.push(start);
    });
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
