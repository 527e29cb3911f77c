import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../src/index.js';
import { arboristOptions } from '../src/install.js';
import { KEYS_NO_INSTALL_LIBRARY_READS } from '../src/install-options.js';

const require = createRequire(import.meta.url);

/** The package directories of Arborist's and pacote's dependency closure, as installed. */
function installClosure(): string[] {
  const seen = new Set<string>();
  const find = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (dirname(dir) === dir) return undefined;
    }
  };
  const walk = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: object; optionalDependencies?: object };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const found = find(dir, name);
      if (found !== undefined) walk(found);
    }
  };
  for (const root of ['@npmcli/arborist', 'pacote']) walk(dirname(require.resolve(`${root}/package.json`)));
  return [...seen];
}

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.[cm]?js$/.test(entry)) out.push(path);
  }
  return out;
}

test('no library of the install reads an option tufpm-npm leaves out (a flag that stopped reaching Arborist)', () => {
  const packages = installClosure();
  assert.ok(packages.length > 50, `Arborist's closure found in node_modules (${packages.length} packages)`);
  const files = packages.flatMap((dir) => sources(dir));
  const text = files.map((file) => readFileSync(file, 'utf8')).join('\n');
  // a property read (`opts.key`), a quoted key, or a destructured/object-literal key
  for (const key of KEYS_NO_INSTALL_LIBRARY_READS) {
    const escaped = key.replace(/[-]/g, '\\-');
    const read = new RegExp(`(\\.${escaped}\\b|['"\`]${escaped}['"\`]|[{,]\\s*${escaped}\\s*[,}:=])`).exec(text);
    assert.equal(read, null, `${key} is read by a library of the install (${read?.[0]}): keep passing it`);
  }
  // the pattern finds keys that are read
  for (const key of ['legacyPeerDeps', 'installStrategy', 'preferOnline']) assert.match(text, new RegExp(`\\.${key}\\b`));
});

test('Arborist gets the install flags but not the keys only other npm commands read', async () => {
  const base = await mkdtemp(join(tmpdir(), 'tufpm-npm-opts-'));
  try {
    await writeFile(join(base, 'package.json'), '{}');
    const config = await loadConfig({ cwd: base, env: { PREFIX: join(base, 'global') }, argv: ['--legacy-peer-deps', '--install-strategy=nested', '--sign-git-tag'], home: base });
    assert.equal(config.flat['signGitTag'], true, 'npm flattened the flag');
    const options = arboristOptions(config) as unknown as Record<string, unknown>;
    assert.equal(options['legacyPeerDeps'], true);
    assert.equal(options['installStrategy'], 'nested');
    for (const key of KEYS_NO_INSTALL_LIBRARY_READS) assert.equal(key in options, false, key);
    assert.ok(Object.keys(options).length < Object.keys(config.flat).length - 30);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
