import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addToken, generateUniverse, readStoredPackument } from '../src/index.js';
import { tempDir, withRegistry } from './helpers.js';

const run = promisify(execFile);

/** npm with no user/global config and its own cache, so the machine's ~/.npmrc cannot interfere. */
function npmEnv(work: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'SYSTEMROOT', 'TMPDIR']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return {
    ...env,
    npm_config_userconfig: join(work, 'user.npmrc'),
    npm_config_globalconfig: join(work, 'global.npmrc'),
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
  };
}

test('real npm install of a package tree from the registry works without any plugin', async () => {
  const { registry, dir, done } = await withRegistry();
  const work = await tempDir('tufpm-npm-install-');
  try {
    const universe = await generateUniverse({ dir, packages: 30, seed: 'npm-install-test' });
    assert.ok(universe.closure.length >= 30, `closure ${universe.closure.length}`);
    const project = join(work.path, 'project');
    await mkdir(project);
    const [first] = Object.keys(universe.rootDependencies);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: universe.rootDependencies }),
    );
    await run(
      'npm',
      ['install', '--registry', `${registry.url}/`, '--cache', join(work.path, 'cache'), '--no-audit', '--no-fund', '--ignore-scripts'],
      { cwd: project, env: npmEnv(work.path), timeout: 120_000 },
    );
    const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; resolved?: string; integrity?: string }>;
    };
    const installed = Object.entries(lock.packages).filter(([path]) => path !== '');
    const names = new Set(installed.map(([path, p]) => `${path.slice(path.lastIndexOf('node_modules/') + 13)}@${p.version}`));
    assert.deepEqual([...names].sort(), universe.closure, 'npm installed exactly the resolved closure');
    for (const [path, p] of installed) {
      const name = path.slice(path.lastIndexOf('node_modules/') + 13);
      const stored = await readStoredPackument(dir, name);
      assert.equal(p.integrity, stored!.versions[p.version!]!.dist.integrity, path);
      assert.ok(p.resolved!.startsWith(`${registry.url}/`), p.resolved);
    }
    // The installed code runs: each module requires its own dependencies.
    const { stdout } = await run(process.execPath, ['-e', `console.log(require(${JSON.stringify(first)}).name)`], { cwd: project });
    assert.equal(stdout.trim(), first);
    assert.ok(registry.counts().tarball >= universe.closure.length);
  } finally {
    await done();
    await work.cleanup();
  }
});

test('real npm publish with a token in .npmrc publishes, and a second publish of the version is refused', async () => {
  const { registry, dir, done } = await withRegistry();
  const work = await tempDir('tufpm-npm-publish-');
  try {
    const token = await addToken(dir, { user: 'alice', packages: ['@demo/*'] });
    const pkg = join(work.path, 'pkg');
    await mkdir(pkg);
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: '@demo/hello', version: '1.2.3', main: 'index.js', dependencies: { 'left-pad': '^1.0.0' } }));
    await writeFile(join(pkg, 'index.js'), 'module.exports = "hello";\n');
    const host = registry.url.replace(/^http:/, '');
    const npmrc = join(work.path, 'user.npmrc');
    await writeFile(npmrc, `registry=${registry.url}/\n${host}/:_authToken=${token}\n`);
    const env = npmEnv(work.path);
    const args = ['publish', '--access', 'public', '--cache', join(work.path, 'cache'), '--ignore-scripts'];
    await run('npm', args, { cwd: pkg, env, timeout: 60_000 });

    const doc = (await (await fetch(`${registry.url}/@demo%2fhello`)).json()) as any;
    assert.equal(doc['dist-tags'].latest, '1.2.3');
    assert.deepEqual(doc.versions['1.2.3'].dependencies, { 'left-pad': '^1.0.0' });
    const tgz = await fetch(doc.versions['1.2.3'].dist.tarball);
    assert.equal(tgz.status, 200);
    const { stdout } = await run('npm', ['whoami', '--registry', `${registry.url}/`], { env, timeout: 30_000 });
    assert.equal(stdout.trim(), 'alice');

    // `--force` skips npm's own duplicate check, so the registry's 409 is what stops it.
    await assert.rejects(run('npm', [...args, '--force'], { cwd: pkg, env, timeout: 60_000 }), /409|previously published/);
  } finally {
    await done();
    await work.cleanup();
  }
});
