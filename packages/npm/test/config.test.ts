import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, loadConfig, parseNpmrc, parseCliArgs, unsafeSettings, NpmUsageError } from '../src/index.js';

test('parses .npmrc lines the way npm does: comments, quotes, lists, env expansion, sections ignored', () => {
  const text = [
    '; comment',
    '# another',
    'registry = http://127.0.0.1:4873/',
    'omit[] = dev',
    'omit[] = optional',
    'quoted = "a \\"b\\""',
    "single = 'x y'",
    'token=${TOKEN}',
    'opt=${MISSING?}',
    'literal=\\${TOKEN}',
    'ignore-scripts',
    '[section]',
    'registry = http://ignored/',
  ].join('\n');
  const cfg = parseNpmrc(text, '.npmrc', { TOKEN: 'secret' });
  assert.equal(cfg.get('registry'), 'http://127.0.0.1:4873/');
  assert.deepEqual(cfg.get('omit'), ['dev', 'optional']);
  assert.equal(cfg.get('quoted'), 'a "b"');
  assert.equal(cfg.get('single'), 'x y');
  assert.equal(cfg.get('token'), 'secret');
  assert.equal(cfg.get('opt'), '');
  assert.equal(cfg.get('literal'), '${TOKEN}');
  assert.equal(cfg.get('ignore-scripts'), 'true');
});

test('an unset ${VAR} in .npmrc is a usage error, as in npm', () => {
  assert.throws(() => parseNpmrc('registry=${NOPE}', '.npmrc', {}), NpmUsageError);
});

test('npm_config_* environment variables become config keys', () => {
  const cfg = configFromEnv({ npm_config_ignore_scripts: 'true', NPM_CONFIG_REGISTRY: 'http://x/', other: '1' });
  assert.equal(cfg.get('ignore-scripts'), 'true');
  assert.equal(cfg.get('registry'), 'http://x/');
  assert.equal(cfg.size, 2);
});

test('layers user < project < env < command line, finds the project by package.json', async () => {
  const base = await mkdtemp(join(tmpdir(), 'tufpm-npm-config-'));
  try {
    const home = join(base, 'home');
    const project = join(base, 'project');
    await mkdir(join(project, 'sub'), { recursive: true });
    await mkdir(home);
    await writeFile(join(home, '.npmrc'), 'registry=http://user/\ncache=~/custom-cache\nignore-scripts=true\ntufpm-unsafe-allow-git=true\n');
    await writeFile(join(project, 'package.json'), '{}');
    await writeFile(join(project, '.npmrc'), 'registry=http://project/\nomit=dev\n');
    const fromSub = loadConfig({ cwd: join(project, 'sub'), env: {}, cli: new Map(), home });
    assert.equal(fromSub.prefix, project);
    assert.equal(fromSub.registry, 'http://project/');
    assert.equal(fromSub.cache, join(home, 'custom-cache'));
    assert.equal(fromSub.ignoreScripts, true);
    assert.deepEqual(fromSub.omit, ['dev']);
    assert.equal(fromSub.tufpmRoot, join(project, 'tufpm-root.json'));
    assert.equal(fromSub.tufpmStateDir, join(home, '.local', 'state', 'tufpm'), 'the trusted state is not in the npm cache');
    assert.equal(loadConfig({ cwd: project, env: { XDG_STATE_HOME: join(base, 'xdg') }, cli: new Map(), home }).tufpmStateDir, join(base, 'xdg', 'tufpm'));
    assert.equal(loadConfig({ cwd: project, env: { XDG_STATE_HOME: join(base, 'xdg'), TUFPM_STATE_DIR: join(base, 'st') }, cli: new Map(), home }).tufpmStateDir, join(base, 'st'));
    const flagged = loadConfig({ cwd: project, env: { TUFPM_STATE_DIR: join(base, 'st') }, cli: parseCliArgs(['ci', '--tufpm-state-dir', '~/mine', '--tufpm-cache', '/old']).cli, home });
    assert.equal(flagged.tufpmStateDir, join(home, 'mine'), 'the flag wins over the environment');
    assert.equal(flagged.retiredTufpmCache, true, 'the retired tufpm-cache is noticed (and warned about), not read');
    assert.deepEqual(unsafeSettings(fromSub), ['tufpm-unsafe-allow-git']);
    assert.equal(fromSub.sources.get('registry'), join(project, '.npmrc'));

    const env = loadConfig({ cwd: project, env: { npm_config_registry: 'http://env' }, cli: new Map(), home });
    assert.equal(env.registry, 'http://env/');
    const args = parseCliArgs(['install', '--registry', 'http://cli/', '--include', 'dev', '--unsafe-unverified', '@acme/*']);
    const cli = loadConfig({ cwd: project, env: { npm_config_registry: 'http://env' }, cli: args.cli, home });
    assert.equal(cli.registry, 'http://cli/');
    assert.deepEqual(cli.omit, [], '--include dev wins over omit=dev');
    assert.deepEqual(cli.unsafeUnverifiedPackages, ['@acme/*']);
    assert.equal(loadConfig({ cwd: project, env: { NODE_ENV: 'production' }, cli: new Map(), home: base }).omit.join(), 'dev');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('rejects malformed settings as usage errors', () => {
  const cwd = tmpdir();
  const cli = (args: string[]): Map<string, string | string[]> => parseCliArgs(['install', ...args]).cli;
  assert.throws(() => loadConfig({ cwd, env: {}, cli: cli(['--registry', 'ftp://x/']), home: cwd }), NpmUsageError);
  assert.throws(() => loadConfig({ cwd, env: {}, cli: cli(['--omit', 'everything']), home: cwd }), NpmUsageError);
  assert.throws(() => loadConfig({ cwd, env: { npm_config_ignore_scripts: 'maybe' }, cli: new Map(), home: cwd }), NpmUsageError);
});

test('maintainer-signed policy: .npmrc keys, repeatable flags over them, * means every package, typos refused', async () => {
  const base = await mkdtemp(join(tmpdir(), 'tufpm-npm-policy-'));
  try {
    const project = join(base, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), '{}');
    await writeFile(join(project, '.npmrc'), 'tufpm-require-maintainer-signed[] = @acme/*\ntufpm-require-maintainer-signed[] = lodash\ntufpm-minimum-threshold = 2\n');
    const fromFile = loadConfig({ cwd: project, env: {}, cli: new Map(), home: base });
    assert.deepEqual(fromFile.requireMaintainerSigned, ['@acme/*', 'lodash']);
    assert.equal(fromFile.minimumThreshold, 2);
    const args = parseCliArgs(['install', '--require-maintainer-signed', 'left', '--require-maintainer-signed', '*', '--minimum-threshold', '3']);
    const fromCli = loadConfig({ cwd: project, env: {}, cli: args.cli, home: base });
    assert.equal(fromCli.requireMaintainerSigned, true);
    assert.equal(fromCli.minimumThreshold, 3);
    const defaults = loadConfig({ cwd: base, env: {}, cli: new Map(), home: base });
    assert.deepEqual([defaults.requireMaintainerSigned, defaults.minimumThreshold], [[], 1]);
    for (const cli of [['--minimum-threshold', '0'], ['--minimum-threshold', 'two'], ['--require-maintainer-signed', 'lod*']]) {
      assert.throws(() => loadConfig({ cwd: project, env: {}, cli: parseCliArgs(['install', ...cli]).cli, home: base }), NpmUsageError, cli.join(' '));
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
