// The online roles' renewal: what the scheduled job (holding only the online keys) runs, and what every
// published approval does. A new version AND a new expiry (now + the configured duration): a timestamp
// re-signed with its old expiry would still freeze installs when that date passes.
import { expiresIn, type NpmRepository } from '@tufpm/repo';

export async function renewOnline(core: NpmRepository, which: 'timestamp' | 'snapshot', edit?: (repo: NpmRepository['repo']) => void): Promise<{ snapshot: { version: number; expires: string }; timestamp: { version: number; expires: string } }> {
  await core.transaction(async (repo) => {
    edit?.(repo);
    const e = core.config.expiries;
    if (which === 'snapshot') {
      repo.setExpires('snapshot', expiresIn(core.now(), e.snapshot));
      repo.updateSnapshot({ lengthAndHashes: core.config.snapshotLengthAndHashes });
      await core.signRole('snapshot');
    }
    repo.setExpires('timestamp', expiresIn(core.now(), e.timestamp));
    repo.updateTimestamp();
    await core.signRole('timestamp');
  });
  const { snapshot, timestamp } = core.repo;
  return {
    snapshot: { version: snapshot.signed.version, expires: snapshot.signed.expires.toISOString() },
    timestamp: { version: timestamp.signed.version, expires: timestamp.signed.expires.toISOString() },
  };
}
