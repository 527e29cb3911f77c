import type { IncomingMessage, ServerResponse } from 'node:http';
import { TufError } from '@tufpm/models';
import type { PublishHook } from './hooks.js';
import { answerObservation, Observations } from './observe.js';

type Intercept = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Counts the outcome of the signing hook (accepted, or refused with its code) and its latency. */
export function countedHook(hook: PublishHook, obs: Observations): PublishHook {
  return {
    async beforeAccept(ev, store) {
      const t0 = performance.now();
      try {
        await hook.beforeAccept?.(ev, store);
        obs.publish({ name: ev.name, version: ev.version, outcome: 'accepted', ms: performance.now() - t0 });
      } catch (err) {
        obs.publish({ name: ev.name, version: ev.version, outcome: 'refused', ...(err instanceof TufError ? { code: err.code } : {}), ms: performance.now() - t0 });
        throw err;
      }
    },
  };
}

/**
 * `GET /-/tufpm/health` and `/-/tufpm/metrics` of tufpm-registry (the same answers as the Verdaccio
 * plugin's), counting metadata requests on the way; everything else goes to `next`.
 */
export function observeRoutes(metadataDir: string, obs: Observations, renew: boolean, next?: Intercept): Intercept {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if ((path === '/-/tufpm/health' || path === '/-/tufpm/metrics') && (method === 'GET' || method === 'HEAD')) {
      await answerObservation(res, path === '/-/tufpm/health' ? 'health' : 'metrics', metadataDir, obs, renew);
      return true;
    }
    if (path.startsWith('/-/tuf/metadata/')) obs.metadataRequest();
    return next === undefined ? false : next(req, res);
  };
}
