// An in-memory npm-profile TUF repository with ONE delegated role per package (the worst case for a
// client: every installed package costs one role fetch, one parse and one signature check), built with
// @tufpm/repo's Repository and @tufpm/models, never written to disk. Each package has its own ed25519
// key (maintainers do not share keys), so every role check also pays the first use of a new public key.
import { createHash, randomBytes } from 'node:crypto';
import { DelegatedRole, Metadata, TargetFile, Targets, generateEd25519KeyPair, releaseIndexTarget } from '@tufpm/models';
import { Repository, expiresIn, planPersist } from '@tufpm/repo';
import { Prng } from '@tufpm/registry';

const DAY = 24 * 60 * 60;
const SCOPES = ['@acme', '@kit', '@nova', '@orbit'];

/** Deterministic package names: about one in four scoped, as on the public registry. */
export function packageNames(count, seed = 7) {
  const rng = new Prng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const base = `pkg-${i.toString(36).padStart(4, '0')}`;
    out.push(rng.next() < 0.25 ? `${rng.pick(SCOPES)}/${base}` : base);
  }
  return out;
}

const basename = (name) => name.slice(name.lastIndexOf('/') + 1);
export const tarballPath = (name, version) => `${name}/-/${basename(name)}-${version}.tgz`;

/**
 * Builds the repository: root/timestamp/snapshot/targets with one key each, `targets` delegating to one
 * terminating role per package (`paths: ["<name>/-/*"]`, its own key, threshold 1), each role holding
 * `versionsPerPackage` signed tarball targets with sha256 + sha512 (the sizes of a real role).
 *
 * Returns the files as the registry would serve them (consistent snapshots: `1.root.json`,
 * `timestamp.json`, `<v>.snapshot.json`, `<v>.targets.json`, `<v>.<encoded role>.json`) plus the raw
 * per-role bytes and the target path to ask for per package.
 */
export function buildPerPackageRepository({ packages, versionsPerPackage = 5, now = new Date(), seed = 7, signedCustom = false }) {
  const names = packageNames(packages, seed);
  const top = {};
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) top[role] = generateEd25519KeyPair();
  const expires = {
    root: expiresIn(now, 365 * DAY),
    targets: expiresIn(now, 365 * DAY),
    snapshot: expiresIn(now, 7 * DAY),
    timestamp: expiresIn(now, DAY),
  };
  const repo = Repository.create({ expires });
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
    repo.addKey(role, top[role].key);
    repo.setThreshold(role, 1);
  }

  // Delegations are appended in one go (Repository.delegate searches the list on every call, which is
  // quadratic at 10k roles and not what this bench measures).
  const targetPaths = [];
  const roleKeys = [];
  const targets = repo.edit('targets');
  for (const name of names) {
    const pair = generateEd25519KeyPair();
    roleKeys.push(pair);
    targets.addDelegatedRole(new DelegatedRole({ name, terminating: true, threshold: 1, paths: [`${name}/-/*`] }), [pair.key]);
  }
  const payload = randomBytes(64);
  names.forEach((name, i) => {
    const md = repo.delegated.get(name) ?? createRole(repo, name, expiresIn(now, 365 * DAY));
    for (let v = 0; v < versionsPerPackage; v++) {
      const path = tarballPath(name, `1.${v}.0`);
      const h = (alg) => createHash(alg).update(path).update(payload).digest('hex');
      const t = new TargetFile(path, 1000 + ((i * 7 + v) % 50_000), { sha256: h('sha256'), sha512: h('sha512') });
      // signedCustom: what tufpm-repo signs into a real tarball target (readPackageTarball: dependencies and
      // manifest facts in custom.npm), here two dependencies of the package before it
      if (signedCustom) t.custom = { npm: { dependencies: { [names[(i + 1) % names.length]]: '^1.0.0', [names[(i + 2) % names.length]]: `~${v}.1.0` }, manifestFields: 1 } };
      md.signed.targets.set(path, t);
      if (v === versionsPerPackage - 1) targetPaths.push(path);
    }
    // and the package's release index (ADR 0013), a target of its own role
    if (signedCustom) {
      const index = releaseIndexTarget(name, { versions: Array.from({ length: versionsPerPackage }, (_, v) => `1.${v}.0`), distTags: { latest: `1.${versionsPerPackage - 1}.0` } });
      md.signed.targets.set(index.path, index);
    }
    md.sign(roleKeys[i].signer, false);
  });
  repo.sign('targets', [top.targets.signer]);
  repo.updateSnapshot();
  repo.sign('snapshot', [top.snapshot.signer]);
  repo.updateTimestamp();
  repo.sign('timestamp', [top.timestamp.signer]);
  repo.sign('root', [top.root.signer]);

  const plan = planPersist(repo);
  const files = new Map(plan.map((f) => [f.file, f.bytes]));
  const roleBytes = names.map((name) => repo.delegated.get(name).toBytes());
  const fileOf = (role) => plan.find((f) => f.role === role);
  return {
    names,
    targetPaths,
    files,
    roleBytes,
    rootBytes: fileOf('root').bytes,
    timestampBytes: fileOf('timestamp').bytes,
    snapshotBytes: fileOf('snapshot').bytes,
    targetsBytes: fileOf('targets').bytes,
    now,
  };
}

/**
 * The metadata of a new, empty delegated role, registered the way Repository.delegate does it (minus the
 * search through the delegator's list, which the loop above already did in bulk).
 */
function createRole(repo, name, expires) {
  const md = new Metadata(new Targets({ expires }));
  repo.delegated.set(name, md);
  repo.changed.add(name);
  return md;
}
