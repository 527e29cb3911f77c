// The gate's metadata URL from the project's own files (.npmrc, .yarnrc.yml): the one the installers use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectMetadataUrl } from '../src/npmrc.js';

async function project(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gate-metadata-url-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the gate reads tufpm-metadata-url from .npmrc and tufMetadataUrl from .yarnrc.yml (http(s) or file:///)', async () => {
  await project({ '.npmrc': 'registry=https://registry.npmjs.org/\ntufpm-metadata-url=https://tuf.example.team/metadata\n' }, async (dir) => {
    assert.equal(await projectMetadataUrl(dir), 'https://tuf.example.team/metadata/');
  });
  await project({ '.yarnrc.yml': 'npmRegistryServer: "https://registry.npmjs.org"\ntufMetadataUrl: "file:///ci/team-tuf/metadata"\n' }, async (dir) => {
    assert.equal(await projectMetadataUrl(dir), 'file:///ci/team-tuf/metadata/');
  });
  await project({ '.npmrc': 'tufpm-metadata-url=https://tuf.example.team/metadata/\n', '.yarnrc.yml': 'tufMetadataUrl: https://tuf.example.team/metadata/\n' }, async (dir) => {
    assert.equal(await projectMetadataUrl(dir), 'https://tuf.example.team/metadata/');
  });
  await project({ '.yarnrc.yml': 'npmRegistryServer: "https://registry.npmjs.org"\n' }, async (dir) => {
    assert.equal(await projectMetadataUrl(dir), undefined);
  });
});

test('rejects project files that name two different TUF repositories, an unexpanded ${VAR} or a relative file: URL', async () => {
  const usage = (dir: string, re: RegExp) => assert.rejects(projectMetadataUrl(dir), (e: unknown) => (e as { code?: string }).code === 'TUF_VERIFY_USAGE' && re.test((e as Error).message));
  await project({ '.npmrc': 'tufpm-metadata-url=https://a.example/metadata/\n', '.yarnrc.yml': 'tufMetadataUrl: https://b.example/metadata/\n' }, (dir) => usage(dir, /different TUF repositories/));
  await project({ '.yarnrc.yml': 'tufMetadataUrl: "${TEAM_TUF}/metadata/"\n' }, (dir) => usage(dir, /unexpanded/));
  await project({ '.npmrc': 'tufpm-metadata-url=file:metadata/\n' }, (dir) => usage(dir, /must be absolute/));
});

test('rejects a 2 GiB (sparse) .npmrc before reading it, with TUF_VERIFY_USAGE', async () => {
  await project({}, async (dir) => {
    await writeFile(join(dir, '.npmrc'), '');
    await truncate(join(dir, '.npmrc'), 2 * 1024 * 1024 * 1024);
    // read whole, this was a RangeError (ERR_FS_FILE_TOO_LARGE) after trying to read 2 GiB
    await assert.rejects(projectMetadataUrl(dir), (e: Error & { code?: string }) => e.code === 'TUF_VERIFY_USAGE' && /larger than 1048576 bytes/.test(e.message));
  });
});

test('rejects a FIFO .yarnrc.yml (a gate would block on it) and a directory .npmrc, with TUF_VERIFY_USAGE', async () => {
  await project({}, async (dir) => {
    execFileSync('mkfifo', [join(dir, '.yarnrc.yml')]);
    await assert.rejects(projectMetadataUrl(dir), (e: Error & { code?: string }) => e.code === 'TUF_VERIFY_USAGE' && /\.yarnrc\.yml: not a regular file/.test(e.message));
  });
  await project({}, async (dir) => {
    await mkdir(join(dir, '.npmrc'));
    await assert.rejects(projectMetadataUrl(dir), (e: Error & { code?: string }) => e.code === 'TUF_VERIFY_USAGE' && /\.npmrc: not a regular file/.test(e.message));
  });
});

test('reads a .npmrc of exactly the 1 MiB bound', async () => {
  const line = 'tufpm-metadata-url=https://tuf.example.team/metadata/\n';
  const padded = line + ';'.repeat(1024 * 1024 - line.length);
  await project({ '.npmrc': padded }, async (dir) => {
    assert.equal(await projectMetadataUrl(dir), 'https://tuf.example.team/metadata/');
  });
  await project({ '.npmrc': `${padded};` }, async (dir) => {
    await assert.rejects(projectMetadataUrl(dir), (e: Error & { code?: string }) => e.code === 'TUF_VERIFY_USAGE');
  });
});
