import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { resignTargetFacts } from '../src/harness/resigned-targets.js';
import { NpmWorld, type Project } from '../src/harness/npm-world.js';
import { refusedNpm } from '../src/harness/attacks-graph.js';

// The sealed records of passed per-package checks (ADR 0023, checked-packages.json in the machine's state
// directory) with tufpm-npm and real Arborist: a warm install skips the dependency, manifest-field and edge
// checks of a node only for exactly the signed facts and the inputs Arborist read that this machine checked
// before. An edited package-lock.json or a re-signed target on the SAME machine (its records in place) is
// checked again and refused.

const REUSED = /checks of (\d+) taken from this machine's sealed records/;

type Lock = { packages: Record<string, Record<string, unknown>> };

async function editLock(project: Project, edit: (lock: Lock) => void): Promise<void> {
  const lock = JSON.parse((await project.read('package-lock.json'))!) as Lock;
  edit(lock);
  await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
}

describe('tufpm-npm: sealed per-package check records', () => {
  let world: NpmWorld;
  let vhostRole: string;
  let vhostTarball: Uint8Array;
  let vulnOld: Uint8Array;

  before(async () => {
    world = await NpmWorld.create();
    vulnOld = (await world.publish('vuln', '1.0.0')).tarball;
    await world.publish('vuln', '1.0.1');
    ({ role: vhostRole, tarball: vhostTarball } = await world.publish('vhost', '1.0.0', { vuln: '^1.0.1' }));
  });
  after(() => world.close());

  /** install, then a warm ci on the same machine that takes both packages' checks from its records */
  async function sealed(): Promise<Project> {
    const project = await world.project({ dependencies: { vhost: '1.0.0' } });
    assert.equal((await project.tufpmNpm(['install'])).code, 0);
    const warm = await project.tufpmNpm(['ci']);
    assert.equal(warm.code, 0, warm.stderr);
    assert.equal(REUSED.exec(warm.stderr)?.[1], '2', `the warm ci reuses both packages' records\n${warm.stderr}`);
    return project;
  }

  test('rejects a dependency added to package-lock.json on the machine that sealed the unedited tree (ci)', async () => {
    const project = await sealed();
    await editLock(project, (lock) => {
      // vuln@1.0.1 is signed without dependencies; the edge is served by the tree's own vhost
      lock.packages['node_modules/vuln']!['dependencies'] = { vhost: '1.0.0' };
    });
    await refusedNpm(project, ['ci'], /TUF_EXTRANEOUS_DEPENDENCY/, /vuln@1\.0\.1/, /vhost/);
  });

  test('rejects a bin added in package-lock.json on the machine that sealed the unedited tree (ci)', async () => {
    const project = await sealed();
    await editLock(project, (lock) => {
      lock.packages['node_modules/vuln']!['bin'] = { eslint: 'index.js' };
    });
    await refusedNpm(project, ['ci'], /TUF_MANIFEST_FIELD/, /package: +vuln@1\.0\.1/, /bin eslint/);
  });

  test('rejects an out-of-range version in package-lock.json on the machine that sealed the unedited tree (verify)', async () => {
    const project = await sealed();
    const integrity = `sha512-${createHash('sha512').update(vulnOld).digest('base64')}`;
    await editLock(project, (lock) => {
      lock.packages['node_modules/vuln'] = { version: '1.0.0', resolved: `${world.url}vuln/-/vuln-1.0.0.tgz`, integrity };
    });
    const verify = await project.tufpmNpm(['verify']);
    assert.equal(verify.code, 1, verify.stderr);
    assert.match(verify.stderr, /TUF_EDGE_RANGE/);
    assert.match(verify.stderr, /dependency vhost@1\.0\.0 \(node_modules\/vhost\) -> vuln@\^1\.0\.1 is served by vuln@1\.0\.0 \(node_modules\/vuln\), outside the range \^1\.0\.1 signed by role /);
  });

  test('rejects a target re-signed with other dependencies on the machine that sealed the old one (ci)', async () => {
    const project = await sealed();
    // vhost's signers re-sign the same bytes declaring another range: package-lock.json still says ^1.0.1
    await resignTargetFacts(world, vhostRole, 'vhost', '1.0.0', vhostTarball, (npm) => {
      npm['dependencies'] = { vuln: '^2.0.0' };
    });
    await refusedNpm(project, ['ci'], /TUF_EXTRANEOUS_DEPENDENCY/, /vhost@1\.0\.0/, /\^2\.0\.0/);
  });
});
