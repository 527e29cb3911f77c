import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, unsafeSettings, NpmUsageError, type NpmConfig } from '../src/index.js';

async function withDirs<T>(run: (base: string, home: string, project: string) => Promise<T>): Promise<T> {
  const base = await mkdtemp(join(tmpdir(), 'tufpm-npm-config-'));
  try {
    const home = join(base, 'home');
    const project = join(base, 'project');
    await mkdir(join(project, 'sub'), { recursive: true });
    await mkdir(home);
    await writeFile(join(project, 'package.json'), '{}');
    return await run(base, home, project);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

const load = (cwd: string, home: string, argv: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<NpmConfig> =>
  loadConfig({ cwd, env: { PREFIX: join(home, 'global'), ...env }, argv, home });

test('layers user < project < env < command line with npm\'s own loader, finds the project by package.json', async () => {
  await withDirs(async (base, home, project) => {
    await writeFile(join(home, '.npmrc'), `registry=http://user/\ncache=${join(home, 'custom-cache')}\nignore-scripts=true\ntufpm-unsafe-allow-git=true\n`);
    await writeFile(join(project, '.npmrc'), 'registry=http://project/\nomit[]=dev\n; comment\nlegacy-peer-deps=true\n');
    const fromSub = await load(join(project, 'sub'), home);
    assert.equal(fromSub.prefix, project);
    assert.equal(fromSub.registry, 'http://project/');
    assert.equal(fromSub.cache, join(home, 'custom-cache'));
    assert.equal(fromSub.ignoreScripts, true);
    assert.deepEqual(fromSub.omit, ['dev']);
    assert.equal(fromSub.flat['legacyPeerDeps'], true, 'install-shaping keys reach Arborist through npm\'s flatten');
    assert.equal(fromSub.flat['audit'], false, 'audit only reports: off');
    assert.equal(fromSub.tufpmRoot, join(project, 'tufpm-root.json'));
    assert.equal(fromSub.tufpmStateDir, join(home, '.local', 'state', 'tufpm'), 'the trusted state is not in the npm cache');
    assert.equal((await load(project, home, [], { XDG_STATE_HOME: join(base, 'xdg') })).tufpmStateDir, join(base, 'xdg', 'tufpm'));
    const flagged = await load(project, home, ['ci', '--tufpm-state-dir', join(home, 'mine'), '--tufpm-cache', '/old'], { TUFPM_STATE_DIR: join(base, 'st') });
    assert.equal(flagged.tufpmStateDir, join(home, 'mine'), 'the flag wins over the environment');
    assert.equal(flagged.retiredTufpmCache, true, 'the retired tufpm-cache is noticed (and warned about), not read');
    assert.deepEqual(unsafeSettings(fromSub), ['tufpm-unsafe-allow-git']);
    assert.equal(fromSub.sources.get('registry'), join(project, '.npmrc'));

    assert.equal((await load(project, home, [], { npm_config_registry: 'http://env' })).registry, 'http://env/');
    const cli = await load(project, home, ['install', '--registry', 'http://cli/', '--include', 'dev', '--unsafe-unverified', '@acme/*', '--install-strategy', 'nested', '--no-save', '--dry-run'], { npm_config_registry: 'http://env' });
    assert.equal(cli.registry, 'http://cli/');
    assert.deepEqual(cli.omit, [], '--include dev wins over omit=dev');
    assert.deepEqual(cli.unsafeUnverifiedPackages, ['@acme/*']);
    assert.equal(cli.flat['installStrategy'], 'nested');
    assert.deepEqual([cli.save, cli.dryRun], [false, true]);
    const aged = await load(project, home, ['install'], { npm_config_min_release_age: '30' });
    const before = aged.flat['before'];
    assert.ok(before instanceof Date && Math.abs(Date.now() - 30 * 86_400_000 - before.getTime()) < 60_000, 'min-release-age becomes npm\'s before cutoff');
  });
});

test('rejects malformed settings, in files and variables too, as usage errors', async () => {
  await withDirs(async (_base, home, project) => {
    const rejects = async (argv: string[], env: NodeJS.ProcessEnv, code = 'TUF_NPM_USAGE'): Promise<void> => {
      await assert.rejects(load(project, home, argv, env), (e: unknown) => e instanceof NpmUsageError && e.code === code, `${argv.join(' ')} ${JSON.stringify(env)}`);
    };
    await rejects(['install', '--registry', 'ftp://x/'], {});
    await rejects([], { npm_config_install_strategy: 'flat' });
    await rejects([], { npm_config_global: 'true' }, 'TUF_NPM_UNSUPPORTED_OPTION');
    await writeFile(join(project, '.npmrc'), 'registry=${NOPE}\n');
    await rejects([], {});
    await writeFile(join(project, '.npmrc'), 'allow-scripts[]=esbuild\n');
    await rejects([], {}, 'TUF_NPM_UNSUPPORTED_OPTION');
  });
});

test('rejects a scoped registry without the TUF metadata the project trusts, naming the scope', async () => {
  await withDirs(async (_base, home, project) => {
    await writeFile(join(project, '.npmrc'), 'registry=http://tuf.example/\n@acme:registry=http://other.example/\n');
    await assert.rejects(load(project, home), (e: unknown) => e instanceof NpmUsageError && e.code === 'TUF_NPM_SCOPED_REGISTRY' && e.message.includes('@acme'));
    await writeFile(join(project, '.npmrc'), 'registry=http://tuf.example/\n@acme:registry=http://tuf.example\n');
    assert.equal((await load(project, home)).registry, 'http://tuf.example/', 'a scope pointing at the same registry is fine');
  });
});

test('finds the workspace root from inside a workspace, as npm does, and selects that workspace', async () => {
  await withDirs(async (_base, home, project) => {
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'root', workspaces: ['packages/*'] }));
    await mkdir(join(project, 'packages', 'a'), { recursive: true });
    await writeFile(join(project, 'packages', 'a', 'package.json'), JSON.stringify({ name: 'a', version: '1.0.0' }));
    const inside = await load(join(project, 'packages', 'a'), home);
    assert.equal(inside.prefix, project);
    assert.equal(inside.tufpmRoot, join(project, 'tufpm-root.json'));
    assert.deepEqual(inside.workspaceFilters, [join(project, 'packages', 'a')]);
    const { workspaceNames } = await import('../src/index.js');
    assert.deepEqual(await workspaceNames(inside, join(project, 'packages', 'a')), ['a']);
    assert.deepEqual(await workspaceNames(await load(project, home, ['install', '--workspaces']), project), ['a']);
    assert.deepEqual(await workspaceNames(await load(project, home, ['install', '-w', 'a']), project), ['a']);
    assert.equal(await workspaceNames(await load(project, home), project), undefined);
    await assert.rejects(async () => workspaceNames(await load(project, home, ['install', '-w', 'nope']), project), /No workspaces found/);
  });
});

test('maintainer-signed policy: .npmrc keys, repeatable flags over them, * means every package, typos refused', async () => {
  await withDirs(async (base, home, project) => {
    await writeFile(join(project, '.npmrc'), 'tufpm-require-maintainer-signed[] = @acme/*\ntufpm-require-maintainer-signed[] = lodash\ntufpm-minimum-threshold = 2\n');
    const fromFile = await load(project, home);
    assert.deepEqual(fromFile.requireMaintainerSigned, ['@acme/*', 'lodash']);
    assert.equal(fromFile.minimumThreshold, 2);
    const fromCli = await load(project, home, ['install', '--require-maintainer-signed', 'left', '--require-maintainer-signed', '*', '--minimum-threshold', '3']);
    assert.equal(fromCli.requireMaintainerSigned, true);
    assert.equal(fromCli.minimumThreshold, 3);
    const defaults = await load(base, home);
    assert.deepEqual([defaults.requireMaintainerSigned, defaults.minimumThreshold], [[], 1]);
    for (const cli of [['--minimum-threshold', '0'], ['--minimum-threshold', 'two'], ['--require-maintainer-signed', 'lod*']]) {
      await assert.rejects(load(project, home, ['install', ...cli]), NpmUsageError, cli.join(' '));
    }
  });
});
