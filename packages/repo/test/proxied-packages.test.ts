// <dir>/tuf/proxied-packages.json (ADR 0025): the names approved from an uplink, whose local publishes the
// Verdaccio plugin refuses. Concurrent approvals must not lose names, and a broken file must never be read
// as "no proxied packages" (that would let a local publish of an approved name be signed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MAX_PROXIED_PACKAGES_BYTES, proxiedPackagesFile, readProxiedPackages, recordProxiedPackages } from '../src/proxied-packages.js';

async function dirs(): Promise<{ metadataDir: string; keysDir: string }> {
  const base = await mkdtemp(join(tmpdir(), 'tufpm-proxied-'));
  const metadataDir = join(base, 'tuf', 'metadata');
  await mkdir(metadataDir, { recursive: true });
  await mkdir(join(base, 'keys'));
  return { metadataDir, keysDir: join(base, 'keys') };
}

const MODULE = fileURLToPath(new URL('../src/proxied-packages.js', import.meta.url));

/** Another process (a second `tufpm-overlay approve --registry`) recording names one by one. */
function approvalProcess(metadataDir: string, keysDir: string, names: string[]): Promise<void> {
  const script = `const { recordProxiedPackages } = await import(${JSON.stringify(MODULE)});
for (const n of JSON.parse(process.argv[3])) await recordProxiedPackages(process.argv[1], process.argv[2], [n]);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, metadataDir, keysDir, JSON.stringify(names)], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`approval process exited with ${code}`))));
  });
}

test('concurrent approvals both land: names recorded at once by two approval processes and in one process are all kept', async () => {
  const { metadataDir, keysDir } = await dirs();
  const names = (p: string): string[] => Array.from({ length: 15 }, (_, i) => `${p}-${i}`);
  // before the fix each read the file, added its names and renamed its copy over the other's
  await Promise.all([
    approvalProcess(metadataDir, keysDir, names('first')),
    approvalProcess(metadataDir, keysDir, names('second')),
    ...names('inproc').map((n) => recordProxiedPackages(metadataDir, keysDir, [n])),
  ]);
  const recorded = await readProxiedPackages(metadataDir);
  assert.deepEqual([...recorded].sort(), [...names('first'), ...names('second'), ...names('inproc')].sort());
});

test('rejects a broken proxied-packages.json (not JSON, wrong types, a non-name, too large) with TUF_PROXIED_PACKAGES_FILE, never as "no proxied packages"', async () => {
  const { metadataDir, keysDir } = await dirs();
  const file = proxiedPackagesFile(metadataDir);
  assert.equal((await readProxiedPackages(metadataDir)).size, 0, 'no file: nothing approved yet');
  const cases: Array<[string, string]> = [
    ['not JSON', '{"packages": ["left-pad"'],
    ['an array at the top', '["left-pad"]'],
    ['null', 'null'],
    ['packages a string', '{"packages": "left-pad"}'],
    ['a number among the names', '{"packages": ["left-pad", 7]}'],
    ['no packages', '{"names": ["left-pad"]}'],
    ['a path, not a package name', '{"packages": ["../../etc"]}'],
  ];
  for (const [why, text] of cases) {
    await writeFile(file, text);
    await assert.rejects(readProxiedPackages(metadataDir), (err: Error & { code?: string }) => err.code === 'TUF_PROXIED_PACKAGES_FILE' && err.message.includes(file), why);
    await assert.rejects(recordProxiedPackages(metadataDir, keysDir, ['new-name']), { code: 'TUF_PROXIED_PACKAGES_FILE' }, `${why}: an approval does not overwrite it`);
    assert.equal(await readFile(file, 'utf8'), text, `${why}: the operator's file is left as it was`);
  }
  await writeFile(file, '{"packages": []}');
  await truncate(file, MAX_PROXIED_PACKAGES_BYTES + 1);
  await assert.rejects(readProxiedPackages(metadataDir), (err: Error & { code?: string }) => err.code === 'TUF_PROXIED_PACKAGES_FILE' && /larger than/.test(err.message), 'a huge file is refused before it is read');
});
