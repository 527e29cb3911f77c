// The gate's metadata URL from the project's own files (.npmrc, .yarnrc.yml): the one the installers use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
