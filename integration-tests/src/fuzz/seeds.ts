// Seed inputs for the fuzzers (issue 19): one valid document of each kind a parser reads, built with the
// project's own writers so that mutations start from what tufpm really produces and reach the field checks
// behind the JSON syntax. Deterministic apart from the freshly generated ed25519 keys.
import { gunzipSync } from 'node:zlib';
import {
  DelegatedRole,
  Delegations,
  Metadata,
  MetaFile,
  Root,
  Snapshot,
  SuccinctRoles,
  TargetFile,
  Targets,
  Timestamp,
  generateEd25519KeyPair,
  generateEcdsaP256KeyPair,
  releaseIndexTarget,
  type Signed,
  type Signer,
} from '@tufpm/models';
import { buildPackageTarball, buildRawTarball, tarballDigests } from '@tufpm/registry';
import { serializeLockfile, type SideLockfile } from '@tufpm/verify';

const FUTURE = new Date('2100-01-01T00:00:00Z');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface MetadataSeeds {
  root: Uint8Array;
  timestamp: Uint8Array;
  snapshot: Uint8Array;
  targets: Uint8Array;
  delegating: Uint8Array;
  succinct: Uint8Array;
  /** a per-package role as tufpm signs it: tarball targets (sha256 + sha512, custom.npm) and the release index (the shape
   *  Metadata.parse builds straight from the tokenizer's tape, targets-tape.ts) */
  package: Uint8Array;
  /** the signers, to verify mutated documents against the seed root's keys */
  signers: Record<'root' | 'timestamp' | 'snapshot' | 'targets', Signer>;
}

function signed<T extends Signed>(s: T, signer: Signer): Uint8Array {
  const md = new Metadata(s);
  md.sign(signer);
  return md.toBytes();
}

export function metadataSeeds(): MetadataSeeds {
  const signers = {
    root: generateEd25519KeyPair().signer,
    timestamp: generateEcdsaP256KeyPair().signer,
    snapshot: generateEd25519KeyPair().signer,
    targets: generateEd25519KeyPair().signer,
  };
  const root = new Root({ expires: FUTURE });
  for (const r of ['root', 'timestamp', 'snapshot', 'targets'] as const) root.addKey(signers[r].key, r);
  const tarball = buildPackageTarball({ name: 'left-pad', version: '1.3.0' });
  const targets = new Targets({ expires: FUTURE, version: 3 });
  targets.targets.set('left-pad/-/left-pad-1.3.0.tgz', TargetFile.fromData('left-pad/-/left-pad-1.3.0.tgz', tarball));
  const index = releaseIndexTarget('left-pad', { versions: ['1.3.0'], distTags: { latest: '1.3.0' } });
  targets.targets.set(index.path, index);
  const snapshot = new Snapshot({ expires: FUTURE, version: 4 });
  snapshot.meta.set('targets.json', new MetaFile(3, 1234, { sha256: 'ab'.repeat(32) }));
  snapshot.meta.set('%40scope%2Fpkg.json', new MetaFile(1));
  const timestamp = new Timestamp({ expires: FUTURE, version: 5 });
  timestamp.snapshotMeta = new MetaFile(4, 999, { sha256: 'cd'.repeat(32), sha512: 'ef'.repeat(64) });
  const pkgKey = generateEd25519KeyPair().signer;
  const delegating = new Targets({ expires: FUTURE, version: 2 });
  delegating.delegations = new Delegations({
    keys: new Map([[pkgKey.key.keyid, pkgKey.key]]),
    roles: [
      new DelegatedRole({ name: '@scope/pkg', keyids: [pkgKey.key.keyid], threshold: 1, terminating: true, paths: ['@scope/pkg/-/*'] }),
      new DelegatedRole({ name: 'bins-0', keyids: [pkgKey.key.keyid], threshold: 1, terminating: false, pathHashPrefixes: ['0', '1a'] }),
    ],
  });
  const succinct = new Targets({ expires: FUTURE, version: 2 });
  succinct.delegations = new Delegations({
    keys: new Map([[pkgKey.key.keyid, pkgKey.key]]),
    succinctRoles: new SuccinctRoles({ keyids: [pkgKey.key.keyid], threshold: 1, bitLength: 8, namePrefix: 'unclaimed' }),
  });
  const pkg = new Targets({ expires: FUTURE, version: 7 });
  for (const v of ['1.0.0', '1.1.0', '2.0.0-rc.1']) {
    const path = `@scope/pkg/-/pkg-${v}.tgz`;
    const t = TargetFile.fromData(path, buildPackageTarball({ name: '@scope/pkg', version: v }));
    // what tufpm-repo signs into a tarball target (readPackageTarball): dependencies and manifest facts
    if (v !== '1.0.0') t.custom = { npm: { dependencies: { 'left-pad': '^1.3.0' }, manifestFields: 1 } };
    pkg.targets.set(path, t);
  }
  const pkgIndex = releaseIndexTarget('@scope/pkg', { versions: ['1.0.0', '1.1.0', '2.0.0-rc.1'], distTags: { latest: '1.1.0' } });
  pkg.targets.set(pkgIndex.path, pkgIndex);
  return {
    package: signed(pkg, signers.targets),
    root: signed(root, signers.root),
    timestamp: signed(timestamp, signers.timestamp),
    snapshot: signed(snapshot, signers.snapshot),
    targets: signed(targets, signers.targets),
    delegating: signed(delegating, signers.targets),
    succinct: signed(succinct, signers.targets),
    signers,
  };
}

export function tufpmLockSeed(): Uint8Array {
  const lock: SideLockfile = {
    lockfileVersion: 2,
    registry: 'http://127.0.0.1:4873/',
    root: { version: 2, sha256: 'a'.repeat(64), keyids: ['0'.repeat(64)], threshold: 1 },
    timestamp: { version: 7, keyids: ['1'.repeat(64)], threshold: 1 },
    snapshot: { version: 5, keyids: ['2'.repeat(64)], threshold: 1 },
    targets: { version: 3, keyids: ['3'.repeat(64), '4'.repeat(64)], threshold: 2 },
    packages: new Map([
      ['zeta@1.0.0', { targetPath: 'zeta/-/zeta-1.0.0.tgz', role: 'unclaimed-0a', roleVersion: 3, length: 10, sha512: 'b'.repeat(128), maintainerSigned: false }],
      ['@s/alpha@2.0.0', { targetPath: '@s/alpha/-/alpha-2.0.0.tgz', role: '@s/alpha', roleVersion: 1, length: 11, sha512: 'c'.repeat(128), yarnChecksum: '10c0/' + 'd'.repeat(128), maintainerSigned: true }],
    ]),
    roles: new Map([
      ['@s/alpha', { keyids: ['5'.repeat(64)], threshold: 1 }],
      ['unclaimed-*', { keyids: ['7'.repeat(64)], threshold: 1 }],
    ]),
    claims: new Map([['@s/alpha', { keyids: ['5'.repeat(64)], threshold: 1 }]]),
  };
  return enc(serializeLockfile(lock));
}

const INTEGRITY = 'sha512-' + Buffer.alloc(64, 7).toString('base64');

export function packageLockSeed(): Uint8Array {
  return enc(
    JSON.stringify(
      {
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'app', version: '1.0.0', dependencies: { 'left-pad': '^1.3.0', a: 'file:../a' }, workspaces: ['packages/*'] },
          'node_modules/left-pad': { version: '1.3.0', resolved: 'http://127.0.0.1:4873/left-pad/-/left-pad-1.3.0.tgz', integrity: INTEGRITY },
          'node_modules/@s/alpha': { version: '2.0.0', resolved: 'http://127.0.0.1:4873/@s/alpha/-/alpha-2.0.0.tgz', integrity: INTEGRITY, dependencies: { b: '1' } },
          'node_modules/@s/alpha/node_modules/b': { version: '1.0.0', inBundle: true },
          'node_modules/alias': { name: 'left-pad', version: '1.3.0', resolved: 'http://127.0.0.1:4873/left-pad/-/left-pad-1.3.0.tgz', integrity: INTEGRITY },
          'node_modules/g': { version: '1.0.0', resolved: 'git+ssh://git@github.com/x/g.git#abc' },
          'node_modules/w': { resolved: 'packages/w', link: true },
          'packages/w': { name: 'w', version: '0.0.1' },
          'node_modules/n': { version: '3.0.0', integrity: INTEGRITY },
        },
      },
      null,
      2,
    ),
  );
}

export function yarnLockSeed(): Uint8Array {
  return enc(`# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"@s/alpha@npm:^2.0.0":
  version: 2.0.0
  resolution: "@s/alpha@npm:2.0.0"
  dependencies:
    b: "npm:1"
  checksum: 10c0/${'d'.repeat(128)}
  languageName: node
  linkType: hard

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  languageName: unknown
  linkType: soft

"left-pad@npm:1.3.0, alias@npm:left-pad@1.3.0":
  version: 1.3.0
  resolution: "left-pad@npm:1.3.0::__archiveUrl=http%3A%2F%2F127.0.0.1%3A4873%2Fleft-pad%2F-%2Fleft-pad-1.3.0.tgz"
  checksum: 10c0/${'e'.repeat(128)}
  languageName: node
  linkType: hard

"lodash@patch:lodash@npm%3A4.17.21#./my.patch::version=4.17.21&hash=abc":
  version: 4.17.21
  resolution: "lodash@patch:lodash@npm%3A4.17.21#./my.patch::version=4.17.21&hash=abc"
  languageName: node
  linkType: hard

"g@git+https://github.com/x/g.git#commit=abc":
  version: 1.0.0
  resolution: "g@git+https://github.com/x/g.git#commit=abc"
  languageName: node
  linkType: hard
`);
}

export function packumentSeed(): Uint8Array {
  return enc(
    JSON.stringify({
      _id: 'left-pad',
      name: 'left-pad',
      'dist-tags': { latest: '1.3.0', next: '2.0.0-rc.1' },
      versions: {
        '1.3.0': { name: 'left-pad', version: '1.3.0', dist: { tarball: 'http://127.0.0.1:4873/left-pad/-/left-pad-1.3.0.tgz', integrity: INTEGRITY } },
        '2.0.0-rc.1': { name: 'left-pad', version: '2.0.0-rc.1', dist: { tarball: 'http://127.0.0.1:4873/left-pad/-/left-pad-2.0.0-rc.1.tgz' } },
      },
      time: { '1.3.0': '2020-01-01T00:00:00.000Z' },
    }),
  );
}

/** Uncompressed tar streams (mutated, then gzipped by the tarball targets). */
export function tarSeeds(): Uint8Array[] {
  const gunzip = (b: Uint8Array): Uint8Array => new Uint8Array(gunzipSync(b));
  return [
    gunzip(buildPackageTarball({ name: 'left-pad', version: '1.3.0', files: { 'index.js': 'module.exports = 1;\n', 'lib/a.js': 'x' } })),
    gunzip(
      buildRawTarball([
        { path: 'package/package.json', data: '{"name":"a","version":"1.0.0"}' },
        { path: 'package/lib', type: 'Directory' },
        { path: 'package/lib/link', type: 'SymbolicLink', linkpath: 'index.js' },
        { path: 'package/./package.json', data: '{}' },
      ]),
    ),
  ];
}

/** A valid `npm publish` body (libnpmpublish's shape) for `name`. */
export function publishSeed(name = 'left-pad', version = '1.3.0'): Uint8Array {
  const tarball = buildPackageTarball({ name, version, dependencies: { a: '^1.0.0' }, manifest: { bin: { lp: 'cli.js' } }, files: { 'cli.js': '#!/usr/bin/env node\n' } });
  const d = tarballDigests(tarball);
  return enc(
    JSON.stringify({
      _id: name,
      name,
      'dist-tags': { latest: version },
      versions: { [version]: { name, version, dependencies: { a: '^1.0.0' }, dist: { integrity: d.integrity, shasum: d.shasum, tarball: `http://127.0.0.1/${name}/-/${name}-${version}.tgz` } } },
      _attachments: { [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: Buffer.from(tarball).toString('base64'), length: tarball.length } },
    }),
  );
}
