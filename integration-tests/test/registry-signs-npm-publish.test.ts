// End to end on the registry side: `tufpm-registry --keys` signs a real `npm publish` into the package's
// unclaimed bin and re-signs snapshot + timestamp, so that a tufpm install can verify the new version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { initRepository } from '@tufpm/repo';
import { generateEd25519KeyPair } from '@tufpm/models';
import { addToken, tufMetadataDir } from '@tufpm/registry';
import { InstallVerifier, bootstrapTrustedRoot } from '@tufpm/verify';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const registryBin = join(require.resolve('@tufpm/registry'), '..', 'cli.js');

function npmEnv(work: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return { ...env, npm_config_userconfig: join(work, 'user.npmrc'), npm_config_globalconfig: join(work, 'global.npmrc'), npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };
}

async function startRegistryProcess(args: string[], opts: { quiet?: boolean } = {}): Promise<{ url: string; stderr(): string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [registryBin, ...args, ...(opts.quiet === false ? [] : ['--quiet'])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`tufpm-registry exited with ${code}`)));
  });
  return {
    url,
    stderr: () => stderr,
    stop: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

test('tufpm-registry --keys signs a real npm publish so that tufpm installs can verify it, and refuses an unsigned release of a claimed package', async () => {
  const work = await mkdtemp(join(tmpdir(), 'tufpm-publish-sign-'));
  const registryDir = join(work, 'registry');
  const keysDir = join(work, 'keys');
  try {
    const repo = await initRepository({ dir: tufMetadataDir(registryDir), keysDir });
    const maintainer = generateEd25519KeyPair();
    await repo.addPackage('claimed-package', [maintainer.key], 1, { signers: [maintainer.signer] });
    const token = await addToken(registryDir, { user: 'alice' });
    const registry = await startRegistryProcess(['--dir', registryDir, '--keys', keysDir]);
    try {
      const pkg = join(work, 'pkg');
      await mkdir(pkg);
      await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'fresh-package', version: '1.0.0', main: 'index.js' }));
      await writeFile(join(pkg, 'index.js'), 'module.exports = 42;\n');
      await writeFile(join(work, 'user.npmrc'), `registry=${registry.url}\n${registry.url.replace(/^http:/, '')}:_authToken=${token}\n`);
      await run('npm', ['publish', '--cache', join(work, 'npm-cache'), '--ignore-scripts'], { cwd: pkg, env: npmEnv(work), timeout: 60_000 });

      const project = join(work, 'project');
      await mkdir(project);
      await bootstrapTrustedRoot({ registryUrl: registry.url, projectDir: project, rootBytes: await readFile(join(tufMetadataDir(registryDir), '1.root.json')) });
      const verifier = await InstallVerifier.open({ projectDir: project, registryUrl: registry.url, stateDir: join(work, 'tuf-cache') });
      const tarball = new Uint8Array(await (await fetch(`${registry.url}fresh-package/-/fresh-package-1.0.0.tgz`)).arrayBuffer());
      const signed = await verifier.verifyTarball('fresh-package', '1.0.0', tarball);
      assert.equal(signed.maintainerSigned, false, 'an unclaimed package is signed by the registry bin');
      assert.match(signed.role, /^unclaimed-[0-9a-f]{2}$/);
      assert.equal(signed.length, tarball.length);
      assert.ok(verifier.summary().snapshot.version >= 2, 'snapshot was re-signed after the publish');

      // A claimed package: a plain npm publish (signed by nobody) is refused with the way to sign it.
      const claimed = join(work, 'claimed');
      await mkdir(claimed);
      await writeFile(join(claimed, 'package.json'), JSON.stringify({ name: 'claimed-package', version: '1.0.0' }));
      await assert.rejects(
        run('npm', ['publish', '--cache', join(work, 'npm-cache'), '--ignore-scripts'], { cwd: claimed, env: npmEnv(work), timeout: 60_000 }),
        // the registry's own refusal, not any 403 (`/tufpm/` alone matched npm's temp path in the log line)
        (err: Error & { stderr?: string }) => /\b403\b/.test(String(err.stderr)) && /claimed-package is claimed by its maintainers: the registry cannot sign it/.test(String(err.stderr)),
      );
      assert.equal((await fetch(`${registry.url}claimed-package`)).status, 404, 'nothing stored for the refused publish');
    } finally {
      await registry.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('tufpm-registry without --keys stores a publish that tufpm installs then refuse as not signed', async () => {
  const work = await mkdtemp(join(tmpdir(), 'tufpm-publish-nosign-'));
  const registryDir = join(work, 'registry');
  try {
    await initRepository({ dir: tufMetadataDir(registryDir), keysDir: join(work, 'keys') });
    const token = await addToken(registryDir, { user: 'mallory' });
    const registry = await startRegistryProcess(['--dir', registryDir]);
    try {
      const pkg = join(work, 'pkg');
      await mkdir(pkg);
      await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'unsigned-package', version: '1.0.0' }));
      await writeFile(join(work, 'user.npmrc'), `registry=${registry.url}\n${registry.url.replace(/^http:/, '')}:_authToken=${token}\n`);
      await run('npm', ['publish', '--cache', join(work, 'npm-cache'), '--ignore-scripts'], { cwd: pkg, env: npmEnv(work), timeout: 60_000 });
      const project = join(work, 'project');
      await mkdir(project);
      await bootstrapTrustedRoot({ registryUrl: registry.url, projectDir: project, rootBytes: await readFile(join(tufMetadataDir(registryDir), '1.root.json')) });
      const verifier = await InstallVerifier.open({ projectDir: project, registryUrl: registry.url, stateDir: join(work, 'tuf-cache') });
      await assert.rejects(verifier.resolve('unsigned-package', '1.0.0'), { code: 'TUF_PACKAGE_NOT_SIGNED' });
    } finally {
      await registry.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('tufpm-registry from a config file: tokens made with `token add` limit what they publish, JSON logs with timestamps, health and metrics', async () => {
  const work = await mkdtemp(join(tmpdir(), 'tufpm-registry-ops-'));
  try {
    await initRepository({ dir: tufMetadataDir(join(work, 'registry')), keysDir: join(work, 'keys') });
    const added = await run(process.execPath, [registryBin, 'token', 'add', '--dir', join(work, 'registry'), '--user', 'alice', '--packages', 'ops-package', '--json']);
    const { token } = JSON.parse(added.stdout) as { token: string };
    await writeFile(join(work, 'registry.json'), JSON.stringify({ dir: 'registry', keys: 'keys', logFormat: 'json' }));
    const registry = await startRegistryProcess(['--config', join(work, 'registry.json')], { quiet: false });
    try {
      await writeFile(join(work, 'user.npmrc'), `registry=${registry.url}\n${registry.url.replace(/^http:/, '')}:_authToken=${token}\n`);
      for (const name of ['ops-package', 'other-package']) {
        const pkg = join(work, name);
        await mkdir(pkg);
        await writeFile(join(pkg, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
      }
      await run('npm', ['publish', '--cache', join(work, 'npm-cache'), '--ignore-scripts'], { cwd: join(work, 'ops-package'), env: npmEnv(work), timeout: 60_000 });
      await assert.rejects(
        run('npm', ['publish', '--cache', join(work, 'npm-cache'), '--ignore-scripts'], { cwd: join(work, 'other-package'), env: npmEnv(work), timeout: 60_000 }),
        (err: Error & { stderr?: string }) => /token may not publish other-package/.test(String(err.stderr)),
        'a token limited to ops-package may not publish another package',
      );
      const health = (await (await fetch(`${registry.url}-/tufpm/health`)).json()) as { status: string; lastPublish: { name: string; outcome: string }; roles: Record<string, { version: number }> };
      assert.equal(health.status, 'ok');
      assert.deepEqual([health.lastPublish.name, health.lastPublish.outcome], ['ops-package', 'accepted']);
      assert.ok(health.roles['snapshot']!.version >= 2);
      const metrics = await (await fetch(`${registry.url}-/tufpm/metrics`)).text();
      assert.match(metrics, /^tufpm_publishes_total\{outcome="accepted",code=""\} 1$/m);
      assert.match(metrics, /^tufpm_earliest_expiry_seconds \d+$/m);
      const lines = registry.stderr().trim().split('\n');
      assert.ok(lines.length >= 2, 'request lines logged');
      for (const line of lines) {
        const entry = JSON.parse(line) as { time: string; level: string; msg: string };
        assert.ok(!Number.isNaN(Date.parse(entry.time)) && typeof entry.msg === 'string', line);
      }
    } finally {
      await registry.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
