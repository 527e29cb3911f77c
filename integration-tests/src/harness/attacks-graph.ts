import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { addPackageVersion, buildPackageTarball, packumentFile } from '@tufpm/registry';
import type { CliResult, NpmWorld, Project } from './npm-world.js';
import { YarnProject } from './yarn.js';

/**
 * Attacks on the dependency graph (DESIGN §9, threat model "Dependency graph: edges and identity"), and the
 * refusal checks the graph tests share: exit code 1, the coded message, and a project left as it was.
 */

/** tufpm-npm refused: exit 1, the code and the other patterns on stderr, nothing of the project touched. */
export async function refusedNpm(project: Project, args: string[], code: RegExp, ...also: RegExp[]): Promise<CliResult> {
  const before = await project.state();
  const res = await project.tufpmNpm(args);
  assert.equal(res.code, 1, `exit code 1 expected\n${res.stderr}`);
  assert.match(res.stderr, code);
  for (const re of also) assert.match(res.stderr, re);
  assert.deepEqual(await project.state(), before, 'nothing touched');
  return res;
}

/** Yarn refused: exit 1, a coded report (no crash), yarn.lock, the pins, .pnp.cjs and node_modules unchanged. */
export async function refusedYarn(project: YarnProject, args: string[], code: RegExp, ...also: RegExp[]): Promise<CliResult> {
  const before = await project.state();
  const manifest = await project.read('package.json');
  const res = await project.yarn(args);
  assert.equal(res.code, 1, `exit code 1 expected\n${res.stdout}${res.stderr}`);
  assert.match(res.stdout, code);
  for (const re of also) assert.match(res.stdout, re);
  assert.doesNotMatch(res.stdout, /Internal Error|\n\s+at /, 'a coded report, not a crash');
  assert.deepEqual(await project.state(), before, 'nothing touched');
  assert.equal(await project.read('package.json'), manifest, 'package.json untouched');
  return res;
}

/**
 * The registry (or a mirror, or a CDN) serves, as `name@version` in name's packument, the manifest of
 * `other@otherVersion`: its name, dependencies, tarball URL and integrity. Needs no key: `other` is any
 * package the attacker could publish, signed into its bin like every ordinary package.
 */
export async function serveManifestOf(world: NpmWorld, name: string, version: string, other: string, otherVersion: string): Promise<void> {
  type Packument = { versions: Record<string, unknown>; time?: Record<string, string> };
  const source = JSON.parse(await readFile(packumentFile(world.registryDir, other), 'utf8')) as Packument;
  const file = packumentFile(world.registryDir, name);
  const packument = JSON.parse(await readFile(file, 'utf8')) as Packument;
  const manifest = source.versions[otherVersion];
  assert.ok(manifest, `${other}@${otherVersion} in its packument`);
  packument.versions[version] = structuredClone(manifest);
  await writeFile(file, JSON.stringify(packument));
}

/** The body (indented lines) of a yarn.lock entry, by its key line (`"foo@npm:^1.0.0"`). */
export function yarnLockBody(lock: string, key: string): string {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`\\n"?${escaped}"?:\\n((?: {2}.*\\n)+)`).exec(lock);
  assert.ok(match, `yarn.lock entry ${key}\n${lock}`);
  return match[1]!;
}

/**
 * A pull request's yarn.lock edit: the entry `key` of the project's yarn.lock gets the body (resolution and
 * checksum) of the entry `sourceKey` of a genuine yarn.lock installing `sourceDeps`, so that the edited entry
 * still carries a checksum that Yarn and the TUF binding accept for the package it now names.
 */
export async function editYarnLockEntry(project: YarnProject, key: string, sourceDeps: Record<string, string>, sourceKey: string): Promise<void> {
  const other = await YarnProject.create(project.world, sourceDeps);
  const install = await other.yarn(['install']);
  assert.equal(install.code, 0, install.stdout);
  const lock = (await project.read('yarn.lock'))!;
  const edited = lock.replace(yarnLockBody(lock, key), yarnLockBody((await other.read('yarn.lock'))!, sourceKey));
  assert.notEqual(edited, lock);
  await project.write('yarn.lock', edited);
}

/** Saves name's packument; the returned function puts it back (an attack test restores the registry). */
export async function keepPackument(world: NpmWorld, name: string): Promise<() => Promise<void>> {
  const file = packumentFile(world.registryDir, name);
  const saved = await readFile(file);
  return () => writeFile(file, saved);
}

/** Publishes and signs (into its bin) name@version with its own package.json fields (bin, os, peerDependencies ...) and files. */
export async function publishPackage(
  world: NpmWorld, name: string, version: string, manifest: Record<string, unknown>, files: Record<string, string> = {},
): Promise<{ tarball: Uint8Array; role: string }> {
  const tarball = buildPackageTarball({ name, version, manifest, files });
  await addPackageVersion(world.registryDir, tarball, { durable: false });
  return { tarball, role: (await world.repo.publishTarball(tarball)).role };
}

/** publishPackage's tarball, for a package with extra package.json fields only. */
export async function publishManifest(world: NpmWorld, name: string, version: string, manifest: Record<string, unknown>): Promise<Uint8Array> {
  return (await publishPackage(world, name, version, manifest)).tarball;
}
