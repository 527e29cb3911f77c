// The online roles' renewal: what the scheduled job (holding only the online keys) runs, and what every
// published approval does. The repository's own re-signing (`@tufpm/repo`) gives each a new version and
// a new expiry (now + the configured duration); this only picks which, and reports both.
import type { NpmRepository } from '@tufpm/repo';

export async function renewOnline(core: NpmRepository, which: 'timestamp' | 'snapshot', edit?: (repo: NpmRepository['repo']) => void): Promise<{ snapshot: { version: number; expires: string }; timestamp: { version: number; expires: string } }> {
  if (which === 'timestamp' && edit === undefined) {
    await core.timestamp();
  } else {
    await core.transaction(async (repo) => {
      edit?.(repo);
      await core.resignSnapshotAndTimestamp();
    });
  }
  const { snapshot, timestamp } = core.repo;
  return {
    snapshot: { version: snapshot.signed.version, expires: snapshot.signed.expires.toISOString() },
    timestamp: { version: timestamp.signed.version, expires: timestamp.signed.expires.toISOString() },
  };
}
