import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addPackageVersion, buildPackageTarball } from '@tufpm/registry';
import { NpmWorld, type CliResult, type Project } from '../src/harness/npm-world.js';
import { hideRelease } from '../src/harness/attacks-release-lists.js';

// Attacks on tufpm-npm's drop-in surface (issue 16) found by the red team: a cache writer reaching into a
// verified exec, a scoped-registry line that respells the project's registry to skip the release-list check,
// and npm's linked layout. Real tufpm-npm (child process, real Arborist) against the signed loopback registry.

async function refused(project: Project, args: string[], exit: number, ...expected: RegExp[]): Promise<CliResult> {
  const before = await project.state();
  const res = await project.tufpmNpm(args);
  assert.equal(res.code, exit, `exit ${exit} expected\n${res.stderr}`);
  for (const re of expected) assert.match(res.stderr, re);
  assert.deepEqual(await project.state(), before, 'nothing touched');
  return res;
}

describe('tufpm-npm drop-in: attacks on exec, scoped registries and layouts', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('vuln', '1.0.0');
    for (const version of ['1.0.0', '1.0.1']) await world.publish('@acme/vuln', version);
  });
  after(() => world.close());

  test('rejects a cache writer\'s modules and programs in a verified exec', async () => {
    // A signed tool that loads an optional plugin when one is resolvable, and whose install script runs `node`.
    const cli = '#!/usr/bin/env node\nlet p = "none"; try { p = require("fmt-plugin"); } catch (e) { if (e.code !== "MODULE_NOT_FOUND") throw e; }\nrequire("fs").writeFileSync(process.argv[2], "plugin: " + p);\n';
    const tarball = buildPackageTarball({
      name: 'fmt-tool',
      version: '1.0.0',
      manifest: { bin: { 'fmt-tool': 'cli.js' }, scripts: { postinstall: 'node install.js' } },
      files: { 'cli.js': cli, 'install.js': 'require("fs").writeFileSync(require("path").join(__dirname, "installed"), "ok")\n' },
    });
    await addPackageVersion(world.registryDir, tarball, { durable: false });
    await world.repo.publishTarball(tarball);

    const project = await world.project();
    // The cache writer (a restored CI cache, a compromised build step) plants a module and a `node` in the npm cache.
    const cache = join(project.machine, '.npm');
    const pwned = join(project.machine, 'pwned');
    await mkdir(join(cache, 'node_modules', 'fmt-plugin'), { recursive: true });
    await writeFile(join(cache, 'node_modules', 'fmt-plugin', 'index.js'), 'module.exports = "CACHE WRITER CODE";\n');
    await mkdir(join(cache, 'node_modules', '.bin'), { recursive: true });
    await writeFile(join(cache, 'node_modules', '.bin', 'node'), `#!/bin/sh\necho pwned > ${JSON.stringify(pwned)}\nexec ${JSON.stringify(process.execPath)} "$@"\n`);
    await chmod(join(cache, 'node_modules', '.bin', 'node'), 0o755);

    const marker = join(project.dir, 'marker');
    const res = await project.tufpmNpm(['exec', 'fmt-tool', '--', marker]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await readFile(marker, 'utf8'), 'plugin: none', 'the tool did not load the planted module');
    assert.ok(!existsSync(pwned), 'the planted node never ran (install script PATH)');
  });

  test('rejects a hidden fix behind a respelled scoped registry', async () => {
    // the scope's packages come from the scope's registry line
    await hideRelease(world, '@acme/vuln', '1.0.1', '1.0.0');
    const port = new URL(world.url).port;
    for (const spelling of [`HTTP://127.0.0.1:${port}/`, `http://127.1:${port}/`, `http://127.0.0.1:${port}/x/../`]) {
      const project = await world.project();
      await project.write('.npmrc', `registry=${world.url}\n@acme:registry=${spelling}\n`);
      await refused(project, ['install', '@acme/vuln'], 1, /TUF_RELEASE_HIDDEN/);
    }
  });

  test('refuses the linked install strategy, whose reifier extracts outside the verified path', async () => {
    const project = await world.project({ dependencies: { vuln: '1.0.0' } });
    const res = await refused(project, ['install', '--install-strategy=linked'], 2, /TUF_NPM_UNSUPPORTED_OPTION/, /linked/);
    assert.ok(!existsSync(join(project.dir, 'node_modules', '.store')));
    await project.write('.npmrc', `registry=${world.url}\ninstall-strategy=linked\n`);
    await refused(project, ['install'], 2, /TUF_NPM_UNSUPPORTED_OPTION/);
    assert.match(res.stderr, /hoisted/);
  });
});
