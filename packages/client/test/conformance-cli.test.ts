// tufpm-conformance-client against a repository served on loopback, driven the way tuf-conformance does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { newEnv, type Env } from './helpers/env.js';
import { RepoSim } from './helpers/simulator.js';

const BIN = fileURLToPath(new URL('../src/cli/conformance-client.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const refresh = (env: Env) => run(['--metadata-url', env.sim.metadataUrl, '--metadata-dir', env.metadataDir, 'refresh']);
const download = (env: Env, name: string) =>
  run(['--metadata-url', env.sim.metadataUrl, '--metadata-dir', env.metadataDir, '--target-name', name, '--target-dir', env.targetDir, '--target-base-url', env.sim.targetsUrl, 'download']);

async function initialized(t: Parameters<typeof newEnv>[0], sim?: RepoSim): Promise<Env> {
  const env = await newEnv(t, sim);
  const trusted = join(env.dir, 'initial_root.json');
  writeFileSync(trusted, env.sim.rootBytes(1));
  const { rmSync, mkdirSync } = await import('node:fs');
  rmSync(env.metadataDir, { recursive: true });
  mkdirSync(env.metadataDir);
  mkdirSync(env.targetDir);
  const init = await run(['--metadata-dir', env.metadataDir, 'init', trusted]);
  assert.equal(init.code, 0, init.stderr);
  assert.equal(env.sim.requests.length, 0, 'init makes no requests');
  return env;
}

test('the bin starts with a node shebang', () => {
  assert.ok(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n'));
});

test('init, refresh and download a target with the exact flags of CLIENT-CLI.md', async (t) => {
  const env = await initialized(t);
  const { sim } = env;
  sim.addTarget('targets', 'path/to/a/target_file.txt', 'target file contents');
  sim.publish('targets');
  sim.updateSnapshot();
  const r = await refresh(env);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(env.metadataDir).sort(), ['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
  for (const role of ['timestamp', 'snapshot', 'targets']) {
    assert.deepEqual(new Uint8Array(readFileSync(join(env.metadataDir, `${role}.json`))), sim.latest.get(role));
  }
  assert.equal(sim.requests.filter((p) => p.startsWith('targets/')).length, 0);
  const d = await download(env, 'path/to/a/target_file.txt');
  assert.equal(d.code, 0, d.stderr);
  const files = readdirSync(env.targetDir);
  assert.equal(files.length, 1);
  assert.equal(readFileSync(join(env.targetDir, files[0]!), 'utf8'), 'target file contents');
  // already downloaded with matching hashes: not fetched again
  const again = await download(env, 'path/to/a/target_file.txt');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(sim.requests.filter((p) => p.startsWith('targets/')).length, 1);
});

test('any failure exits with exactly 1', async (t) => {
  const env = await initialized(t);
  const { sim } = env;
  assert.equal((await download(env, 'no/such/target')).code, 1);
  sim.addTarget('targets', 'file', 'genuine');
  sim.publish('targets');
  sim.updateSnapshot();
  sim.artifacts.get('file')!.data = new TextEncoder().encode('malware');
  assert.equal((await download(env, 'file')).code, 1);
  assert.deepEqual(readdirSync(env.targetDir), []);
  sim.overrides.set('metadata/timestamp.json', sim.published.get('timestamp')!.get(1)!);
  assert.equal((await refresh(env)).code, 1);
  assert.equal((await run(['refresh'])).code, 1);
  assert.equal((await run(['--metadata-dir', env.metadataDir, 'bogus'])).code, 1);
  assert.equal((await run(['--metadata-dir', env.metadataDir, '--unknown-flag', 'x', 'refresh'])).code, 1);
});

test('refresh of a repository without consistent snapshots uses unversioned file names', async (t) => {
  const sim = new RepoSim();
  sim.root.consistent_snapshot = false;
  sim.publish('root', false);
  const env = await initialized(t, sim);
  sim.addTarget('targets', 'f.txt', 'content');
  sim.publish('targets');
  sim.updateSnapshot();
  assert.equal((await download(env, 'f.txt')).code, 0);
  assert.deepEqual(sim.metadataRequests(), ['2.root.json', 'timestamp.json', 'snapshot.json', 'targets.json']);
  assert.ok(sim.requests.includes('targets/f.txt'));
});

test('unusual role names are quoted in requests and file names', async (t) => {
  const env = await initialized(t);
  const { sim } = env;
  const names = ['?', '#', '/delegatedrole', '../delegatedrole'];
  for (const name of names) sim.addDelegation('targets', { name, paths: ['*'] });
  sim.publish('targets');
  sim.updateSnapshot();
  assert.equal((await download(env, 'nonexistent target')).code, 1);
  for (const name of names) assert.ok(sim.requests.includes(`metadata/1.${encodeURIComponent(name)}.json`), name);
  assert.equal(readdirSync(env.metadataDir).length, 8);
  assert.ok(readdirSync(env.metadataDir).every((f) => !f.includes('/')));
});
