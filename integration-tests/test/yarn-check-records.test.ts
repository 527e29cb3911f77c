import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resignTargetFacts } from '../src/harness/resigned-targets.js';
import { NpmWorld } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';
import { editYarnLockEntry, refusedYarn } from '../src/harness/attacks-graph.js';

// The sealed records of passed per-package checks (ADR 0023, checked-packages.json in the machine's state
// directory) with real Yarn 4 and the plugin: a warm install skips the dependency, manifest-field and edge
// checks of a package only for exactly the signed facts and resolved inputs this machine checked before. An
// edited lockfile or a re-signed target on the SAME machine is checked again (and refused); a records file
// from another machine does not open.

const REUSED = /checks of (\d+) taken from this machine's sealed records/;

async function recordsFile(project: YarnProject): Promise<string> {
  const registries = join(project.machine, '.local', 'state', 'tufpm', 'registries');
  const [dir] = await readdir(registries);
  assert.ok(dir, `a registry state directory under ${registries}`);
  return join(registries, dir, 'checked-packages.json');
}

describe('Yarn with the tufpm plugin: sealed per-package check records', () => {
  let world: NpmWorld;
  let vhostRole: string;
  let vhostTarball: Uint8Array;

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('vuln', '1.0.0');
    await world.publish('vuln', '1.0.1');
    ({ role: vhostRole, tarball: vhostTarball } = await world.publish('vhost', '1.0.0', { vuln: '^1.0.1' }));
  });
  after(() => world.close());

  test('rejects an edited yarn.lock on the machine that sealed the unedited tree (out-of-range version, PnP)', async () => {
    const project = await YarnProject.create(world, { vhost: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    const warm = await project.yarn(['install']);
    assert.equal(warm.code, 0, warm.stdout);
    assert.equal(REUSED.exec(warm.stdout)?.[1], '2', `the warm install reuses both packages' records\n${warm.stdout}`);
    // the same machine, its records in place: vhost's edge now resolves to another version
    await editYarnLockEntry(project, 'vuln@npm:^1.0.1', { vuln: '1.0.0' }, 'vuln@npm:1.0.0');
    await refusedYarn(project, ['install', '--immutable'], /TUF_EDGE_RANGE/, /package vuln@1\.0\.0/,
      /vhost@npm:1\.0\.0 -> vuln@npm:\^1\.0\.1 resolves to vuln@1\.0\.0, outside the range \^1\.0\.1 signed by role /);
  });

  test('rejects a target re-signed with other dependencies on the machine that sealed the old one (node-modules)', async () => {
    const project = await YarnProject.create(world, { vhost: '1.0.0' }, { rc: { nodeLinker: 'node-modules' } });
    assert.equal((await project.yarn(['install'])).code, 0);
    // vhost's signers re-sign the same bytes declaring another range: yarn.lock still says ^1.0.1
    await resignTargetFacts(world, vhostRole, 'vhost', '1.0.0', vhostTarball, (npm) => {
      npm['dependencies'] = { vuln: '^2.0.0' };
    });
    await refusedYarn(project, ['install', '--immutable'], /TUF_EXTRANEOUS_DEPENDENCY/, /vhost@1\.0\.0/, /vuln@\^1\.0\.1 differs from the signed range \^2\.0\.0/);
  });

  test('rejects a checked-packages.json copied from another machine: its seal does not open, every package is checked', async () => {
    const project = await YarnProject.create(world, { vuln: '1.0.1' });
    assert.equal((await project.yarn(['install'])).code, 0);
    const theirs = await recordsFile(project);
    await project.freshMachine();
    assert.equal((await project.yarn(['install'])).code, 0);
    const mine = await recordsFile(project);
    await copyFile(theirs, mine);
    const copied = await project.yarn(['install']);
    assert.equal(copied.code, 0, copied.stdout);
    assert.doesNotMatch(copied.stdout, REUSED, 'no record of the other machine is used');
    const resealed = await project.yarn(['install']);
    assert.equal(REUSED.exec(resealed.stdout)?.[1], '1', `this machine's own records, sealed again, are\n${resealed.stdout}`);
  });
});
