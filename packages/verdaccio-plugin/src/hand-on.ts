import type { ServerResponse } from 'node:http';
import { TufError } from '@tufpm/models';
import type { Next } from './verdaccio-types.js';

/** Verdaccio refused or failed to store a publish the rules accepted: nothing is signed. */
export class VerdaccioStoreError extends TufError {
  constructor(message: string, readonly status: number | undefined) {
    super('VERDACCIO_STORE_FAILED', message);
  }
}

export interface HandOn {
  /** hands the request on to Verdaccio; resolves once it answered 2xx (stored), rejects otherwise */
  store(): Promise<void>;
  /** whether store() was called */
  readonly started: boolean;
  /** sends Verdaccio's held answer (success, or its own refusal) */
  release(): void;
  /** drops Verdaccio's held answer (the caller answers instead); after a timeout the connection is cut */
  discard(): void;
}

/**
 * Verdaccio's publish handler is not transactional and answers through `res.end`. The answer is held
 * here (not sent) until the plugin has written the signed metadata, so a client never sees "published"
 * before installers can verify the release, and a store that failed leaves the metadata untouched.
 */
export function handOn(res: ServerResponse, next: Next, timeoutMs: number): HandOn {
  const originalEnd = res.end;
  let held: unknown[] | undefined;
  let started = false;
  let timedOut = false;
  return {
    get started() {
      return started;
    },
    store() {
      started = true;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          timedOut = true;
          reject(new VerdaccioStoreError(`Verdaccio did not store the publish within ${timeoutMs} ms`, undefined));
        }, timeoutMs);
        res.end = function heldEnd(this: ServerResponse, ...args: unknown[]): ServerResponse {
          clearTimeout(timer);
          // After a timeout Verdaccio's late answer is swallowed: the connection is already cut.
          if (timedOut) return res;
          held = args;
          if (res.statusCode >= 200 && res.statusCode < 300) resolve();
          else reject(new VerdaccioStoreError(`Verdaccio answered HTTP ${res.statusCode}`, res.statusCode));
          return res;
        } as typeof res.end;
        next();
      });
    },
    release() {
      if (timedOut || held === undefined) return;
      res.end = originalEnd;
      (originalEnd as (...a: unknown[]) => ServerResponse).apply(res, held);
    },
    discard() {
      if (timedOut) {
        res.destroy();
        return;
      }
      res.end = originalEnd;
      held = undefined;
    },
  };
}
