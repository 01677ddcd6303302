/**
 * Prepares the next `depth` items of a source while the consumer works on the current one. Each item is
 * produced in its own macrotask (setImmediate), so the work runs whenever the consumer awaits — e.g. while a
 * training step is evaluated asynchronously — instead of all at once up front.
 */
export async function* prefetch<T>(source: Iterable<T> | AsyncIterable<T>, depth = 2): AsyncGenerator<T, void, undefined> {
  if (!Number.isInteger(depth) || depth < 0) throw new RangeError(`expected a non-negative integer for prefetch depth but received ${depth}`);
  const it: Iterator<T> | AsyncIterator<T> = Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
  if (depth === 0) {
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    return;
  }
  const queue: Promise<IteratorResult<T>>[] = [];
  let finished = false;
  const pull = (): Promise<IteratorResult<T>> =>
    new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(it.next());
        } catch (err) {
          reject(err);
        }
      });
    });
  const fill = (): void => {
    while (!finished && queue.length < depth) queue.push(pull());
  };
  try {
    fill();
    while (queue.length) {
      const r = await (queue.shift() as Promise<IteratorResult<T>>);
      if (r.done) {
        finished = true;
        break;
      }
      fill();
      yield r.value;
    }
  } finally {
    // Settle pulls already scheduled before closing the source (a generator cannot be closed while running).
    await Promise.allSettled(queue);
    await it.return?.();
  }
}
