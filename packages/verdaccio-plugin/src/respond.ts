import type { ServerResponse } from 'node:http';
import { TufError } from '@tufpm/models';
import { RegistryError } from '@tufpm/registry';

/** Same body as tufpm-registry's refusals: npm prints `error`, tufpm reads `code`. */
export function sendError(res: ServerResponse, status: number, message: string, code?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const data = Buffer.from(JSON.stringify(code === undefined ? { error: message } : { error: message, code }));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length, 'cache-control': 'no-store' });
  res.end(data);
}

/** A refusal of the publish rules as tufpm-registry answers it: RegistryError picks its status, a TufError with its own 4xx/5xx `status` (an operator's broken file: 500) that one, any other 403. */
export function sendRefusal(res: ServerResponse, err: TufError): void {
  const own = (err as TufError & { status?: unknown }).status;
  const status = err instanceof RegistryError ? err.status : typeof own === 'number' && Number.isInteger(own) && own >= 400 && own < 600 ? own : 403;
  sendError(res, status, err.message, err.code);
}
