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

/** A refusal of the publish rules as tufpm-registry answers it: RegistryError picks its status, any other TufError is 403. */
export function sendRefusal(res: ServerResponse, err: TufError): void {
  sendError(res, err instanceof RegistryError ? err.status : 403, err.message, err.code);
}
