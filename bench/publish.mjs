// Publish latency on the loopback registry: a plain `npm publish`-shaped request with no TUF hook vs the
// maintainer publish hook, which checks the release and re-signs snapshot and timestamp (unclaimed package:
// signed into its bin with the online key; claimed package: the maintainer-signed role is verified).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519KeyPair } from '@tufpm/models';
import { addToken, buildPackageTarball, startRegistry } from '@tufpm/registry';
import {
  approveClaim, createClaimRequest, createMaintainerPublishHook, initRepository, prepareRelease, publishRelease, readPackageTarball, signRole,
} from '@tufpm/repo';
import { progress, summarize } from './lib/stats.mjs';

async function measure(mode, publishes) {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-bench-publish-'));
  const registryDir = join(dir, 'registry');
  const keysDir = join(dir, 'keys');
  try {
    const repo = await initRepository({ dir: join(registryDir, 'tuf', 'metadata'), keysDir, bitLength: 8 });
    const maintainer = generateEd25519KeyPair();
    if (mode === 'claimed') {
      const request = createClaimRequest({ name: 'pkg', keys: [maintainer.key], threshold: 1, existing: [], now: new Date() });
      signRole(request.role, [maintainer.signer]);
      await approveClaim(repo, request);
    }
    const registry = await startRegistry({ dir: registryDir, hooks: mode === 'none' ? [] : [createMaintainerPublishHook({ keysDir })] });
    try {
      const token = await addToken(registryDir, { user: 'bench' });
      const times = [];
      for (let i = 0; i < publishes; i++) {
        const tarball = buildPackageTarball({ name: 'pkg', version: `1.0.${i}` });
        const pkg = await readPackageTarball(tarball);
        let role;
        if (mode === 'claimed') {
          await repo.reloadIfChanged();
          ({ role } = await prepareRelease(repo.repo.targetsRole('pkg'), tarball, { now: new Date() }));
          signRole(role, [maintainer.signer]);
        }
        const t0 = performance.now();
        await publishRelease({ registryUrl: `${registry.url}/`, token, tarball, pkg, ...(role ? { role } : {}) });
        times.push(performance.now() - t0);
      }
      return summarize(times);
    } finally {
      await registry.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Median publish latency without TUF, and with the maintainer hook for an unclaimed and a claimed package. */
export async function runPublish({ publishes = 40 } = {}) {
  const out = {};
  for (const mode of ['none', 'unclaimed', 'claimed']) {
    progress(`publish latency: ${mode} (${publishes} publishes)`);
    out[mode] = await measure(mode, publishes);
  }
  return { publishes, ...out };
}
