// One publish at a time per registry directory (in this process): the duplicate-version check, the
// hooks (which will sign and bump TUF snapshot/timestamp) and the writes must not interleave.
const tails = new Map<string, Promise<unknown>>();

export async function withDirLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
