import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addToken, buildPackageTarball } from '../src/index.js';
import { tempDir, withRegistry } from './helpers.js';

function publishBody(name: string, version: string, tarball: Uint8Array): string {
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  return JSON.stringify({
    _id: name, name, 'dist-tags': { latest: version },
    versions: { [version]: { name, version, _id: `${name}@${version}`, dist: { integrity } } },
    _attachments: { [`${name}-${version}.tgz`]: { data: Buffer.from(tarball).toString('base64'), length: tarball.length } },
  });
}

test('rejects symlinked packument files and package directories: not served, not read, not written through', async () => {
  const { registry, dir, done } = await withRegistry();
  const outside = await tempDir('tufpm-outside-');
  try {
    const token = await addToken(dir, { user: 'alice' });
    // a packument file that is a link to a JSON file elsewhere
    await writeFile(join(outside.path, 'secret.json'), JSON.stringify({ _id: 'evil', name: 'evil', 'dist-tags': {}, versions: {}, time: {} }));
    await mkdir(join(dir, 'packuments'), { recursive: true });
    await symlink(join(outside.path, 'secret.json'), join(dir, 'packuments', 'evil.json'));
    assert.equal((await fetch(`${registry.url}/evil`)).status, 404);
    // a package directory that is a link to a directory elsewhere, holding a tarball
    await mkdir(join(outside.path, 'pkgdir', '-'), { recursive: true });
    const tgz = buildPackageTarball({ name: 'linked', version: '1.0.0' });
    await writeFile(join(outside.path, 'pkgdir', '-', 'linked-1.0.0.tgz'), tgz);
    await mkdir(join(dir, 'packages'), { recursive: true });
    await symlink(join(outside.path, 'pkgdir'), join(dir, 'packages', 'linked'));
    assert.equal((await fetch(`${registry.url}/linked/-/linked-1.0.0.tgz`)).status, 404);
    const sha = createHash('sha256').update(tgz).digest('hex');
    assert.equal((await fetch(`${registry.url}/linked/-/${sha}.linked-1.0.0.tgz`)).status, 404);
    // publishes through either link are refused and write nothing outside
    const v2 = buildPackageTarball({ name: 'linked', version: '2.0.0' });
    const res = await fetch(`${registry.url}/linked`, { method: 'PUT', body: publishBody('linked', '2.0.0', v2), headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: string }).error, /symbolic link/);
    assert.deepEqual(await readdir(join(outside.path, 'pkgdir', '-')), ['linked-1.0.0.tgz']);
    const evil = buildPackageTarball({ name: 'evil', version: '1.0.0' });
    const res2 = await fetch(`${registry.url}/evil`, { method: 'PUT', body: publishBody('evil', '1.0.0', evil), headers: { authorization: `Bearer ${token}` } });
    assert.equal(res2.status, 404);
    assert.deepEqual((await readdir(outside.path)).sort(), ['pkgdir', 'secret.json']);
  } finally {
    await done();
    await outside.cleanup();
  }
});
