// The TUF worker thread: runs one install's TUF session (metadata refresh, role downloads, parsing and
// signature checks) off the installer's main thread, which Yarn keeps busy with its own fetch step. The
// install's side is worker-session.ts; the messages are in tuf-worker-protocol.ts.
import { parentPort } from 'node:worker_threads';
import { errorToWire, foundToWire, type WorkerRequest } from './tuf-worker-protocol.js';
import { openTufSession, type TufSession } from './tuf-session.js';

let session: TufSession | undefined;

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.type) {
    case 'open':
      session = await openTufSession(request.options);
      return { state: session.state(), rootChain: [...session.rootChain()] };
    case 'find':
      if (session === undefined) throw new Error('find before open');
      return foundToWire(await session.findTarget(request.targetPath));
    case 'claims':
      if (session === undefined) throw new Error('claims before open');
      return session.claims(request.names);
    case 'prefetch':
      if (session === undefined) throw new Error('prefetch before open');
      return session.prefetch(request.roles);
    case 'persist':
      await session?.persist();
      return null;
  }
}

const port = parentPort;
if (port === null) throw new Error('tuf-worker must run in a worker thread');
port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (ok) => port.postMessage({ id: request.id, ok }),
    (error: unknown) => port.postMessage({ id: request.id, error: errorToWire(error) }),
  );
});
