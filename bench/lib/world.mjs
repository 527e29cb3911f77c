// The one generated, signed loopback registry every macro scenario runs against (Yarn and npm, plain and
// with tufpm): the integration-test harness's createSignedRegistry, with EVERY package of the install
// closure claimed by its maintainers, i.e. one delegated role per installed package (the npm profile's
// target state and the client's worst case: one role fetch and one role check per package). Maintainer
// keys are the harness's test keys (alice, bob, carol), claims taking its four patterns in turn, so a
// quarter of the roles need two signatures.
//
// The server counts, per kind of request, the requests and the body bytes it sends, so the bench can
// report TUF metadata bytes per installed package.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSignedRegistry } from '@tufpm/integration-tests/dist/src/harness/signed-registry.js';
import { generateUniverse } from '@tufpm/registry';
import { addPatchedPackages } from './patched-packages.mjs';

/** Package names of the closure of a universe (the generator is deterministic for the same options). */
async function closureNames({ packages, seed, roots }) {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-bench-universe-'));
  try {
    const u = await generateUniverse({ dir, packages, seed, roots });
    return { names: [...new Set(u.closure.map((k) => k.slice(0, k.lastIndexOf('@'))))], closure: u.closure.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * profile 'claimed' (default): every closure package has its own maintainer-signed role.
 * profile 'mixed': one closure package in eight claimed, the rest in registry-signed hash bins.
 * profile 'bins': the harness's default world, 4 claimed packages and the rest in registry-signed
 * hash bins (how most packages are covered before their maintainers claim them).
 * profile 'realistic': 'mixed' plus real `resolve` and `typescript` tarballs (and resolve's dependencies)
 * in registry-signed bins, direct dependencies of the bench project, so Yarn installs them through its
 * builtin compat `patch:` locators (patched-packages.mjs).
 */
export async function createBenchWorld({ packages, seed = 1, roots = 20, profile = 'claimed' }) {
  let claimed = 'default';
  if (profile === 'claimed') claimed = (await closureNames({ packages, seed, roots })).names;
  // 'mixed' (issue 20): what a registry looks like a while after launch, most packages registry-signed in
  // hash bins and about one in eight claimed by its maintainers (every 8th closure name, a fixed choice).
  else if (profile === 'mixed' || profile === 'realistic') claimed = (await closureNames({ packages, seed, roots })).names.filter((_, i) => i % 8 === 0);
  else if (profile !== 'bins') throw new Error(`unknown registry profile ${profile}`);
  const registry = await createSignedRegistry({ packages, seed, roots, claimed });
  let closure = registry.universe.closure;
  let rootDependencies = registry.universe.rootDependencies;
  if (profile === 'realistic') {
    try {
      const added = await addPatchedPackages(registry);
      closure = [...closure, ...added.closure].sort();
      rootDependencies = { ...rootDependencies, ...added.rootDependencies };
    } catch (err) {
      await registry.close();
      throw err;
    }
  }
  const traffic = { tuf: { requests: 0, bytes: 0 }, tarball: { requests: 0, bytes: 0 }, packument: { requests: 0, bytes: 0 }, other: { requests: 0, bytes: 0 } };
  // Counts body bytes by wrapping write/end; returns false so the registry (or the harness) answers.
  registry.addIntercept(async (_req, res, route) => {
    const kind = route?.kind in traffic ? route.kind : 'other';
    const bucket = traffic[kind];
    bucket.requests += 1;
    const count = (chunk, encoding) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      bucket.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk.length;
    };
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = (chunk, ...rest) => {
      count(chunk, rest[0]);
      return write(chunk, ...rest);
    };
    res.end = (chunk, ...rest) => {
      count(chunk, rest[0]);
      return end(chunk, ...rest);
    };
    return false;
  });
  return {
    registry,
    closure,
    profile,
    claimedRoles: registry.claims.length,
    bins: 2 ** registry.fixture.bitLength,
    rootDependencies,
    /** A copy of the counters, then zeroed. */
    takeTraffic() {
      const copy = JSON.parse(JSON.stringify(traffic));
      for (const b of Object.values(traffic)) {
        b.requests = 0;
        b.bytes = 0;
      }
      return copy;
    },
    close: () => registry.close(),
  };
}
