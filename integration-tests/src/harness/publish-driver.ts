// One publish through a real `tufpm-registry --keys` process, for the registry-publish kill loop
// (registry-publish-crash.test.ts): starts the registry (which first finishes any publish a killed one
// left), sends the npm publish body of each TARBALL in turn, stops the registry, exits 0 when every
// publish was accepted.
// The crash loop kills this process group (driver and registry) with SIGKILL at a random moment.
//
//   node publish-driver.js REGISTRY_DIR KEYS_DIR TOKEN TARBALL...
//
// A 409 is a success only when the registry already serves exactly these bytes for the version (the
// killed run had finished the publish before the kill; npm versions are immutable, so a retry is a 409).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readTarballManifest } from '@tufpm/registry';

const require = createRequire(import.meta.url);
const registryBin = join(require.resolve('@tufpm/registry'), '..', 'cli.js');

/** Publishes one tarball; true when accepted (201, or 409 with exactly these bytes already served). */
async function publishOne(url: string, token: string, tarball: Uint8Array): Promise<boolean> {
  const { manifest } = await readTarballManifest(tarball);
  const name = String(manifest['name']);
  const version = String(manifest['version']);
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  const body = JSON.stringify({
    _id: name, name, 'dist-tags': { latest: version },
    versions: { [version]: { name, version, _id: `${name}@${version}`, dist: { integrity } } },
    _attachments: { [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: Buffer.from(tarball).toString('base64'), length: tarball.length } },
  });
  const res = await fetch(`${url}/${encodeURIComponent(name)}`, { method: 'PUT', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status === 201) return true;
  if (res.status === 409) {
    const doc = (await (await fetch(`${url}/${encodeURIComponent(name)}`)).json()) as { versions?: Record<string, { dist?: { integrity?: string } }> };
    if (doc.versions?.[version]?.dist?.integrity === integrity) return true;
  }
  process.stderr.write(`publish of ${name}@${version}: HTTP ${res.status} ${text}\n`);
  return false;
}

async function main(): Promise<number> {
  const [dir, keys, token, ...tarballFiles] = process.argv.slice(2);
  if (dir === undefined || keys === undefined || token === undefined || tarballFiles.length === 0) throw new Error('usage: publish-driver REGISTRY_DIR KEYS_DIR TOKEN TARBALL...');
  const child = spawn(process.execPath, [registryBin, '--dir', dir, '--keys', keys, '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim().replace(/\/$/, ''));
    });
    child.once('exit', (code) => reject(new Error(`tufpm-registry exited with ${code}`)));
  });
  try {
    for (const file of tarballFiles) {
      if (!(await publishOne(url, token, new Uint8Array(await readFile(file))))) return 1;
    }
    return 0;
  } finally {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

process.exitCode = await main();
