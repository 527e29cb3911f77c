// The install's side of the TUF worker (tuf-worker.ts): a TufSession whose work runs on another thread.
// Same results and the same coded errors as openTufSession in-process; the worker never keeps the process
// alive and is ended by close().
import type { Worker } from 'node:worker_threads';
import { errorFromWire, type OpenedSession, type WorkerRequest, type WorkerResponse } from './tuf-worker-protocol.js';
import type { RecordedClaim } from './lockfile.js';
import type { FoundTarget, TufSession, TufSessionOptions } from './tuf-session.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export async function openTufSessionInWorker(options: Omit<TufSessionOptions, 'clock'>, worker: Worker): Promise<TufSession> {
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (error: Error): void => {
    failure ??= error;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  worker.on('message', (response: WorkerResponse) => {
    const p = pending.get(response.id);
    if (p === undefined) return;
    pending.delete(response.id);
    if (pending.size === 0) worker.unref();
    if ('error' in response) p.reject(errorFromWire(response.error));
    else p.resolve(response.ok);
  });
  // A crashed or stopped worker fails every open request: nothing is ever taken as verified by default.
  worker.on('error', (error) => failAll(new Error(`TUF worker failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => failAll(new Error(`TUF worker exited (code ${code})`)));
  // The worker keeps the process alive only while a request is open (an installer awaiting an answer must
  // not see an empty event loop; an idle worker must not stop the process from exiting).
  worker.unref();
  const call = <T>(body: RequestBody): Promise<T> => {
    if (failure !== undefined) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...body, id });
    });
  };
  let opened: OpenedSession;
  try {
    opened = await call<OpenedSession>({ type: 'open', options });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return {
    state: () => opened.state,
    rootChain: () => opened.rootChain,
    findTarget: (targetPath) => call<FoundTarget | undefined>({ type: 'find', targetPath }),
    claims: (names) => call<Array<[string, RecordedClaim]>>({ type: 'claims', names: [...names] }),
    persist: () => call<null>({ type: 'persist' }).then(() => undefined),
    prefetch: (roles) => call<Array<[string, number | undefined]>>({ type: 'prefetch', roles: [...roles] }),
    close: async () => {
      failure ??= new Error('TUF session closed');
      await worker.terminate();
    },
  };
}
