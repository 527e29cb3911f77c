// The TUF session of an install after its lookups are done (InstallVerifier.releaseTufSession): it still
// answers what the pins and status output read (the verified state and root chain, kept as plain data),
// and refuses every lookup. The session it replaces, with its worker thread and parsed roles, is closed and
// no longer referenced, so its memory is not held through the rest of the install.
import type { TufSession } from './tuf-session.js';

export function releasedSession(ended: TufSession): TufSession {
  const state = ended.state();
  const rootChain = ended.rootChain();
  // A lookup after the release is a bug of the caller: refused (fail closed), never answered from elsewhere.
  const refused = (): Promise<never> => Promise.reject(new Error('TUF session released after the install\'s lookups: no lookup may follow'));
  return {
    state: () => state,
    rootChain: () => rootChain,
    findTarget: refused,
    claims: refused,
    prefetch: refused,
    // written by releaseTufSession before the session ended
    persist: async () => undefined,
    close: async () => undefined,
  };
}
