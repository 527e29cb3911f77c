import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, parseUnclaimRecords } from '@tufpm/models';
import { approveClaim, createClaimRequest, signRole } from '@tufpm/repo';
import { encodeProof, timestampMerkleHead, verifyProof } from '@tufpm/merkle';
import { NpmWorld, run, type CliResult } from '../src/harness/npm-world.js';
import { refusedNpm, refusedYarn } from '../src/harness/attacks-graph.js';
import { YarnProject } from '../src/harness/yarn.js';
import { unclaimAndPublishInBin } from '../src/harness/attacks-signer.js';

// ADR 0026, issue 18: a claimed package handed back to the registry-signed bins. The operator's unclaim (the
// offline targets key signs an unclaim record into top-level targets) is accepted by real tufpm-npm and real
// Yarn 4 (node-modules), which move their pins to registry signing; a registry that drops a claim without that
// record (its online keys can write one only where installers never look: a bin, the unclaimed role) is still
// refused as a signer downgrade or a dropped claim, and the project is left untouched.

const require = createRequire(import.meta.url);
const REPO_CLI = join(dirname(require.resolve('@tufpm/repo')), 'cli', 'main.js');
const TUFPM_DIFF = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'cli', 'bin', 'tufpm-diff.js');

interface Pins {
  packages: Record<string, { role: string; maintainerSigned: boolean }>;
  claims?: Record<string, unknown>;
  unclaims?: Record<string, { targetsVersion: number }>;
}

async function pinsOf(project: { read(file: string): Promise<string | undefined> }): Promise<Pins> {
  return JSON.parse((await project.read('tufpm-lock.json'))!) as Pins;
}

function ok(res: CliResult, what: string): CliResult {
  assert.equal(res.code, 0, `${what}\n${res.stdout}${res.stderr}`);
  return res;
}

/** The operator's command, as a separate process on the registry directory (the in-process repository reloads). */
function unclaim(world: NpmWorld, name: string): Promise<CliResult> {
  return run(process.execPath, [REPO_CLI, 'unclaim', name, '--registry', world.registryDir, '--keys', world.keysDir, '--json'], world.base, { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: world.base });
}

/**
 * Every role the signed snapshot lists, with its version: the snapshot file (classic), or every leaf of the
 * tree the timestamp signs (Merkle profile, ADR 0021), proven against the signed root.
 */
async function snapshotMeta(world: NpmWorld): Promise<Map<string, number>> {
  const ts = Metadata.timestamp(await world.readMetadata('timestamp.json'));
  const head = timestampMerkleHead(ts.signed.unrecognized);
  if (head === undefined) {
    const snap = Metadata.snapshot(await world.readMetadata(`${ts.signed.snapshotMeta.version}.snapshot.json`));
    return new Map([...snap.signed.meta].map(([file, meta]) => [file, meta.version]));
  }
  await world.repo.reloadIfChanged();
  const tree = world.repo.repo.merkle!.tree;
  assert.equal(Buffer.from(tree.root()).toString('hex'), head.root, 'the repository holds the tree the timestamp signs');
  const out = new Map<string, number>();
  for (const vi of tree.leafValues()) {
    const name = tree.values.names[vi]!;
    const proof = verifyProof(encodeProof(tree.prove(name, head.root)), name, Buffer.from(head.root, 'hex'));
    if (proof.present && proof.value.tombstone !== true) out.set(`${name}.json`, proof.value.version);
  }
  return out;
}

// Both snapshot profiles: in the Merkle profile (ADR 0021) the retired role must stay a live leaf, never a
// tombstone. The Yarn and re-claim cases run in the classic profile only (they add no profile-specific step).
for (const profile of ['classic', 'merkle'] as const) describe(`unclaim (${profile} snapshot): a claimed package handed back to the registry-signed bins`, () => {
  let world: NpmWorld;
  const alice = NpmWorld.maintainer();
  const classicOnly = { skip: profile !== 'classic' ? 'classic profile only' : false };

  before(async () => {
    world = await NpmWorld.create({ snapshot: profile });
    for (const name of ['handed', 'yhanded', 'seized']) {
      await world.claim(name, [alice], 1);
      await world.publish(name, '1.0.0', {}, [alice.signer]);
    }
  });
  after(() => world.close());

  test('a deliberate unclaim then a registry-signed release installs with tufpm-npm; the pins move to registry signing; tufpm-diff shows UNCLAIMED; the snapshot is no rollback', async () => {
    const project = await world.project({ dependencies: { handed: '^1.0.0' } });
    ok(await project.tufpmNpm(['init']), 'init');
    ok(await project.tufpmNpm(['install']), 'install');
    const before = await pinsOf(project);
    assert.equal(before.packages['handed@1.0.0']!.maintainerSigned, true);
    assert.ok(before.claims?.['handed'] !== undefined, 'init recorded the claim');
    await project.write('tufpm-lock.before.json', (await project.read('tufpm-lock.json'))!);
    const metaBefore = await snapshotMeta(world);

    const res = JSON.parse(ok(await unclaim(world, 'handed'), 'tufpm-repo unclaim').stdout) as { roleVersion: number; targetsVersion: number; moved: string[] };
    assert.deepEqual(res.moved, ['handed/-/handed-1.0.0.tgz']);
    const targets = Metadata.targets(await world.readMetadata(`${res.targetsVersion}.targets.json`));
    assert.equal(parseUnclaimRecords(targets.signed.unrecognized).get('handed')?.roleVersion, res.roleVersion);
    const { role } = await world.publish('handed', '1.0.1');
    assert.match(role, /^unclaimed-/, 'the next publish is signed into the bin');
    const metaAfter = await snapshotMeta(world);
    for (const [file, version] of metaBefore) assert.ok((metaAfter.get(file) ?? 0) >= version, `the snapshot keeps ${file} at v${version} or above`);

    // The machine that installed before the unclaim (its TUF cache trusts the old snapshot) updates: no rollback.
    ok(await project.tufpmNpm(['install', 'handed@1.0.1']), 'install of the registry-signed release after the unclaim');
    assert.match((await project.read('node_modules/handed/package.json'))!, /"version":\s*"1\.0\.1"/);
    const after = await pinsOf(project);
    assert.equal(after.packages['handed@1.0.1']!.maintainerSigned, false);
    assert.match(after.packages['handed@1.0.1']!.role, /^unclaimed-/);
    assert.equal(after.claims?.['handed'], undefined, 'the claim is no longer recorded');
    assert.deepEqual(after.unclaims?.['handed'], { targetsVersion: res.targetsVersion });
    // Later installs, on a fresh CI machine too, take it without a refusal.
    await project.freshMachine();
    ok(await project.tufpmNpm(['ci']), 'tufpm-npm ci on a fresh machine');

    const diff = JSON.parse(ok(await run(process.execPath, [TUFPM_DIFF, '--files', 'tufpm-lock.before.json', 'tufpm-lock.json', '--json'], project.dir, process.env), 'tufpm-diff').stdout) as {
      signers: Array<{ name: string; from: string; to: string; unclaimed?: { targetsVersion: number } }>;
      warnings: Array<{ code: string }>;
    };
    assert.deepEqual(diff.signers, [{ name: 'handed', from: 'maintainer', to: 'registry', unclaimed: { targetsVersion: res.targetsVersion } }]);
    assert.deepEqual(diff.warnings.map((w) => w.code).filter((c) => c === 'SIGNER_DOWNGRADE' || c === 'CLAIM_REMOVED'), []);
    const text = ok(await run(process.execPath, [TUFPM_DIFF, '--files', 'tufpm-lock.before.json', 'tufpm-lock.json'], project.dir, process.env), 'tufpm-diff text').stdout;
    assert.match(text, /handed: maintainer-signed -> registry-signed {2}UNCLAIMED on purpose/);

    // A team that asked for maintainer signing still refuses it.
    const strict = await world.project({ dependencies: { handed: '1.0.1' } });
    await refusedNpm(strict, ['install', '--require-maintainer-signed', 'handed'], /TUF_NOT_MAINTAINER_SIGNED/);
  });

  test('a deliberate unclaim then a registry-signed release installs with Yarn (node-modules), pins updated', classicOnly, async () => {
    const project = await YarnProject.create(world, { yhanded: '^1.0.0' }, { rc: { nodeLinker: 'node-modules' } });
    ok(await project.yarn(['install']), 'yarn install');
    assert.equal((await pinsOf(project)).packages['yhanded@1.0.0']!.maintainerSigned, true);
    ok(await unclaim(world, 'yhanded'), 'tufpm-repo unclaim');
    await world.publish('yhanded', '1.0.1');
    ok(await project.yarn(['add', 'yhanded@1.0.1']), 'yarn add of the registry-signed release');
    assert.match((await project.read('node_modules/yhanded/package.json'))!, /"version":\s*"1\.0\.1"/);
    const pins = await pinsOf(project);
    assert.equal(pins.packages['yhanded@1.0.1']!.maintainerSigned, false);
    assert.ok(pins.unclaims?.['yhanded'] !== undefined);
    await project.freshMachine();
    ok(await project.yarn(['install', '--immutable']), 'yarn install --immutable on a fresh machine');
  });

  test('a registry that drops a claim with no unclaim record in top-level targets (records forged into a bin and the unclaimed role) is refused: TUF_SIGNER_DOWNGRADE, TUF_CLAIM_DROPPED, project untouched', async () => {
    const npmProject = await world.project({ dependencies: { seized: '^1.0.0' } });
    ok(await npmProject.tufpmNpm(['install']), 'tufpm-npm install');
    const initProject = await world.project({ dependencies: { seized: '^1.0.0' } });
    ok(await initProject.tufpmNpm(['init']), 'tufpm-npm init');
    const yarnProject = await YarnProject.create(world, { seized: '^1.0.0' }, { rc: { nodeLinker: 'node-modules' } });
    ok(await yarnProject.yarn(['install']), 'yarn install');

    // the claim leaves a new targets with no unclaim record there; the registry's online keys write the
    // record where they can (the bins, `unclaimed`) and sign a new release into the bin
    await unclaimAndPublishInBin(world, 'seized', '1.0.1', { forgeUnclaimRecords: true });
    await refusedNpm(npmProject, ['install', 'seized@1.0.1'], /TUF_SIGNER_DOWNGRADE/);
    await initProject.freshMachine();
    await refusedNpm(initProject, ['install'], /TUF_CLAIM_DROPPED/);
    await refusedYarn(yarnProject, ['add', 'seized@1.0.1'], /TUF_SIGNER_DOWNGRADE/);
  });

  test('re-claim of an unclaimed package: the claim request starts one above the retired role, ends the record, and the next maintainer-signed release installs', classicOnly, async () => {
    const bob = NpmWorld.maintainer();
    const project = await world.project({ dependencies: { handed: '1.0.1' } });
    ok(await project.tufpmNpm(['install']), 'install while unclaimed');
    const targets = Metadata.targets(await world.readMetadata(`${(await snapshotMeta(world)).get('targets.json')}.targets.json`));
    const record = parseUnclaimRecords(targets.signed.unrecognized).get('handed');
    assert.ok(record !== undefined);
    await world.repo.reloadIfChanged();
    const existing = world.repo.coverage('handed').targets.map((t) => world.repo.repo.targetsRole(t.role).signed.targets.get(t.path)!);
    const request = createClaimRequest({ name: 'handed', keys: [bob.key], threshold: 1, existing, now: new Date(), version: record.roleVersion + 1 });
    signRole(request.role, [bob.signer]);
    await approveClaim(world.repo, request);
    assert.equal((await snapshotMeta(world)).get('handed.json'), record.roleVersion + 1);
    await world.publish('handed', '1.0.2', {}, [bob.signer]);
    ok(await project.tufpmNpm(['install', 'handed@1.0.2']), 'install of the re-claimed release');
    const pins = await pinsOf(project);
    assert.equal(pins.packages['handed@1.0.2']!.maintainerSigned, true);
    assert.equal(pins.packages['handed@1.0.2']!.role, 'handed');
    assert.equal(pins.unclaims, undefined, 'the record is gone: nothing to note');
  });
});
