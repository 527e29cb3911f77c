// The verification work alone, in this process, on the same registry the Yarn and npm runs use: what the
// plugin and tufpm-npm add to an install, without Yarn's or Arborist's own work around it. Neither
// integration exposes its verification time, so this is how the bench attributes time to verification:
//   open        = InstallVerifier.open: trusted root, TUF refresh (timestamp, snapshot, targets)
//   resolve     = resolveAll over the install closure: one delegated role per package, fetched over
//                 loopback HTTP (cold) or read from the TUF cache (warm), and verified
//   hash        = verifyTarball for every tarball of the closure (length + sha512 against the signed target),
//                 then saveMachineCache (the delegated-role pack), as both integrations do after an install
// cold = empty TUF metadata cache; warm = the cache the cold session left.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InstallVerifier } from '@tufpm/verify';
import { tarballFile, targetPathFor } from '@tufpm/registry';
import { progress, summarize, timeMs } from './lib/stats.mjs';

function splitKey(key) {
  const at = key.lastIndexOf('@');
  return { name: key.slice(0, at), version: key.slice(at + 1) };
}

async function session(world, projectDir, cacheDir, pkgs, tarballs) {
  const open = await timeMs(() => InstallVerifier.open({ projectDir, registryUrl: world.registry.url, stateDir: cacheDir }));
  const verifier = open.result;
  const resolve = await timeMs(() => verifier.resolveAll(pkgs));
  if (resolve.result.size !== pkgs.length) throw new Error(`bench: resolved ${resolve.result.size} of ${pkgs.length} packages`);
  const hash = await timeMs(async () => {
    for (let i = 0; i < pkgs.length; i++) await verifier.verifyTarball(pkgs[i].name, pkgs[i].version, tarballs[i]);
  });
  // what both integrations do at the end of an install: the delegated roles go to the machine's pack
  const save = await timeMs(() => verifier.saveMachineCache());
  return { open: open.ms, resolve: resolve.ms, hash: hash.ms + save.ms, total: open.ms + resolve.ms + hash.ms + save.ms };
}

export async function runVerifier({ base, world, runs }) {
  const pkgs = world.closure.map(splitKey);
  const tarballs = await Promise.all(pkgs.map((p) => readFile(tarballFile(world.registry.dir, targetPathFor(p.name, p.version)))));
  const projectDir = await mkdtemp(join(base, 'verifier-project-'));
  await world.registry.writeTrustedRoot(projectDir);
  const cold = [];
  const warm = [];
  let coldTraffic;
  let warmTraffic;
  for (let run = -1; run < runs; run++) {
    const cacheDir = join(await mkdtemp(join(base, 'verifier-cache-')), 'tuf');
    world.takeTraffic();
    const c = await session(world, projectDir, cacheDir, pkgs, tarballs);
    const ct = world.takeTraffic().tuf;
    const w = await session(world, projectDir, cacheDir, pkgs, tarballs);
    const wt = world.takeTraffic().tuf;
    await rm(cacheDir, { recursive: true, force: true });
    if (run < 0) continue; // warm-up
    cold.push(c);
    warm.push(w);
    coldTraffic = ct;
    warmTraffic = wt;
    progress(`verifier #${run + 1}: cold ${c.total.toFixed(0)} ms (open ${c.open.toFixed(0)}, resolve ${c.resolve.toFixed(0)}, hash ${c.hash.toFixed(0)}), warm ${w.total.toFixed(0)} ms`);
  }
  const pick = (list, field) => summarize(list.map((r) => r[field]));
  const describe = (list, traffic) => ({
    totalMs: pick(list, 'total'),
    openMs: pick(list, 'open'),
    resolveMs: pick(list, 'resolve'),
    hashMs: pick(list, 'hash'),
    tufRequests: traffic.requests,
    tufBytes: traffic.bytes,
    tufBytesPerPackage: traffic.bytes / pkgs.length,
  });
  return { packages: pkgs.length, tarballBytes: tarballs.reduce((s, b) => s + b.length, 0), cold: describe(cold, coldTraffic), warm: describe(warm, warmTraffic) };
}
