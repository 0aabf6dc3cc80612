/**
 * A single-consumer push queue exposed as an async iterable: the producer `push`es, the consumer
 * `for await`s, and `end()` (or the signal) finishes the iteration. Unbounded: a consumer that
 * stops reading should abort its signal.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T, undefined>) => void) | undefined;
  private ended = false;

  constructor(signal: AbortSignal, onEnd?: () => void) {
    const end = (): void => {
      this.end();
      onEnd?.();
    };
    if (signal.aborted) end();
    else signal.addEventListener('abort', end, { once: true });
  }

  push(item: T): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: item, done: false });
    } else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
