// file:// metadata URLs (offline CI, docs/overlay.md): read as strictly as HTTP, nothing outside the directory.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DownloadError, FileFetcher, UrlFetcher, downloadBytes } from '../src/index.js';
import { rejectsWith } from './helpers/env.js';

const NO_RETRY = { retries: 0, backoffMs: () => 0 };

async function metadataDir(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; url: string; outside: string }> {
  const base = await mkdtemp(join(tmpdir(), 'tufpm-file-fetcher-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const dir = join(base, 'metadata dir');
  await mkdir(dir);
  const outside = join(base, 'secret.json');
  await writeFile(outside, '{"secret":true}');
  return { dir, url: pathToFileURL(dir).href + '/', outside };
}

test('a file: URL reads the metadata file, role names as percent-encoded file names', async (t) => {
  const { dir, url } = await metadataDir(t);
  await writeFile(join(dir, '3.@babel%2Fcore.json'), '{"role":"scoped"}');
  await writeFile(join(dir, 'timestamp.json'), '{"role":"timestamp"}');
  const fetcher = new UrlFetcher();
  assert.equal(Buffer.from(await downloadBytes(fetcher, `${url}3.@babel%2Fcore.json`, 1000, NO_RETRY)).toString(), '{"role":"scoped"}');
  assert.equal(Buffer.from(await downloadBytes(fetcher, `${url}timestamp.json`, 1000, NO_RETRY)).toString(), '{"role":"timestamp"}');
});

test('a missing file is a 404, as on a server (the root update stops there)', async (t) => {
  const { url } = await metadataDir(t);
  await assert.rejects(downloadBytes(new FileFetcher(), `${url}2.root.json`, 1000, NO_RETRY), (err: unknown) => {
    assert.ok(err instanceof DownloadError);
    assert.equal(err.status, 404);
    assert.equal(err.retryable, false);
    return true;
  });
});

test('rejects a symlink leading outside the metadata directory', async (t) => {
  const { dir, url, outside } = await metadataDir(t);
  await symlink(outside, join(dir, 'timestamp.json'));
  await assert.rejects(downloadBytes(new FileFetcher(), `${url}timestamp.json`, 1000, NO_RETRY), (err: unknown) => {
    assert.ok(err instanceof DownloadError, String(err));
    assert.equal(err.code, 'TUF_DOWNLOAD');
    assert.equal(err.status, undefined, 'not a 404: a planted link must fail the refresh, not end the root walk');
    assert.match(err.message, /outside the metadata directory/);
    return true;
  });
  // a symlink to a device (endless data) is refused the same way
  await symlink('/dev/zero', join(dir, 'snapshot.json'));
  await rejectsWith(downloadBytes(new FileFetcher(), `${url}snapshot.json`, 1000, NO_RETRY), 'TUF_DOWNLOAD');
});

test('a symlink to another file of the same directory is followed, as a static host would serve it', async (t) => {
  const { dir, url } = await metadataDir(t);
  await writeFile(join(dir, '7.timestamp.json'), '{"v":7}');
  await symlink('7.timestamp.json', join(dir, 'timestamp.json'));
  assert.equal(Buffer.from(await downloadBytes(new FileFetcher(), `${url}timestamp.json`, 1000, NO_RETRY)).toString(), '{"v":7}');
});

test('rejects a file longer than the length bound before reading it (endless data)', async (t) => {
  const { dir, url } = await metadataDir(t);
  await writeFile(join(dir, 'timestamp.json'), 'x'.repeat(5000));
  await rejectsWith(downloadBytes(new FileFetcher(), `${url}timestamp.json`, 4999, NO_RETRY), 'TUF_LENGTH');
  assert.equal((await downloadBytes(new FileFetcher(), `${url}timestamp.json`, 5000, NO_RETRY)).length, 5000);
});

test('rejects a FIFO or a directory where a metadata file belongs (no hang, no read)', { timeout: 10_000 }, async (t) => {
  const { dir, url } = await metadataDir(t);
  execFileSync('mkfifo', [join(dir, 'timestamp.json')]);
  await mkdir(join(dir, 'snapshot.json'));
  await rejectsWith(downloadBytes(new FileFetcher(), `${url}timestamp.json`, 1000, NO_RETRY), 'TUF_DOWNLOAD');
  await rejectsWith(downloadBytes(new FileFetcher(), `${url}snapshot.json`, 1000, NO_RETRY), 'TUF_DOWNLOAD');
});

test('rejects file: URLs naming another host, a query, or a path that is not a flat metadata file name', async (t) => {
  const { url } = await metadataDir(t);
  for (const bad of ['file://fileserver/share/timestamp.json', `${url}timestamp.json?x=1`, `${url}..%2Fsecret.json`, `${url}`, `${url}a/../timestamp.json%00`]) {
    await rejectsWith(downloadBytes(new UrlFetcher(), bad, 1000, NO_RETRY), 'TUF_DOWNLOAD');
  }
  // other schemes stay refused
  await rejectsWith(downloadBytes(new UrlFetcher(), 'ftp://example.org/timestamp.json', 1000, NO_RETRY), 'TUF_DOWNLOAD');
});
