import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { addPackageVersion, buildPackageTarball } from '@tufpm/registry';
import { NpmWorld, TUFPM_NPM_CLI, isolatedEnv, run, type CliResult, type Project } from '../src/harness/npm-world.js';

// npm 11's install-script policy, package.json `allowScripts` (red team F4): tufpm-npm ignored the field and
// ran a postinstall that npm 11.19 skips. Real npm 11 and real tufpm-npm (child processes, real Arborist)
// install the same project from the signed loopback registry; each postinstall leaves a marker file in the
// project, so whether a script ran is read from the disk, not from either tool's output.

/** A package whose postinstall writes `<project>/<name>-ran` (the script runs in node_modules/<name>), with a bin. */
async function publishWithScript(world: NpmWorld, name: string): Promise<void> {
  const tarball = buildPackageTarball({
    name,
    version: '1.0.0',
    manifest: { bin: { [`${name}-bin`]: 'bin.js' }, scripts: { postinstall: `node -e "require('fs').writeFileSync('../../${name}-ran', 'x')"` } },
    files: { 'bin.js': '#!/usr/bin/env node\n' },
  });
  await addPackageVersion(world.registryDir, tarball, { durable: false });
  await world.repo.publishTarball(tarball, {});
}

type Who = 'npm' | 'tufpm-npm';

function install(who: Who, project: Project, args: string[] = ['install']): Promise<CliResult> {
  return who === 'npm' ? project.npm([...args, '--no-audit', '--no-fund']) : project.tufpmNpm(args);
}

const ran = (project: Project, name: string): boolean => existsSync(join(project.dir, `${name}-ran`));

describe('npm 11 allowScripts policy in tufpm-npm', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    for (const name of ['denied', 'allowed', 'unlisted']) await publishWithScript(world, name);
  });
  after(() => world.close());

  const dependencies = { denied: '1.0.0', allowed: '1.0.0', unlisted: '1.0.0' };

  test("runs no install script the project's allowScripts policy denies", async () => {
    for (const policy of [{ denied: false }, { 'denied@1.0.0': false }, { 'denied@0.9.0||1.0.0': false }]) {
      for (const who of ['npm', 'tufpm-npm'] as const) {
        const project = await world.project({ dependencies, allowScripts: { ...policy, allowed: true } });
        const res = await install(who, project);
        assert.equal(res.code, 0, `${who} ${JSON.stringify(policy)}\n${res.stderr}`);
        assert.equal(ran(project, 'denied'), false, `${who} ran a script the policy ${JSON.stringify(policy)} denies`);
        assert.ok(existsSync(join(project.dir, 'node_modules', '.bin', 'denied-bin')), `${who}: a denied package's bin is still linked, as npm does`);
        if (who === 'tufpm-npm') {
          // a frozen install from the lockfile honours it too (fresh node_modules)
          const ci = await project.tufpmNpm(['ci']);
          assert.equal(ci.code, 0, ci.stderr);
          assert.equal(ran(project, 'denied'), false, 'tufpm-npm ci ran a denied script');
        }
      }
    }
  });

  test("runs no install script the project's allowScripts policy denies, when package.json starts with a byte order mark", async () => {
    // red team round 3: npm reads package.json through @npmcli/package-json, which drops a leading U+FEFF;
    // tufpm-npm read the BOM-prefixed file as "no policy" and ran the denied postinstall (install and ci).
    for (const who of ['npm', 'tufpm-npm'] as const) {
      const project = await world.project({ dependencies, allowScripts: { denied: false } });
      const pj = join(project.dir, 'package.json');
      const withBom = async (): Promise<void> => {
        const text = await readFile(pj, 'utf8');
        if (!text.startsWith('\uFEFF')) await writeFile(pj, `\uFEFF${text}`); // an install may have rewritten it
      };
      await withBom();
      const res = await install(who, project);
      assert.equal(res.code, 0, `${who}\n${res.stderr}`);
      assert.equal(ran(project, 'denied'), false, `${who} ran a script the BOM-prefixed package.json denies`);
      assert.equal(ran(project, 'allowed'), true, `${who}: a script the policy does not deny runs`);
      await withBom();
      const ci = await install(who, project, ['ci']);
      assert.equal(ci.code, 0, `${who} ci\n${ci.stderr}`);
      assert.equal(ran(project, 'denied'), false, `${who} ci ran a script the BOM-prefixed package.json denies`);
    }
  });

  test('runs the install scripts the policy allows, and those it does not list, as npm 11 does', async () => {
    for (const allowScripts of [{ allowed: true, denied: false }, { 'allowed@1.0.0': true }, undefined]) {
      for (const who of ['npm', 'tufpm-npm'] as const) {
        const project = await world.project({ dependencies, ...(allowScripts ? { allowScripts } : {}) });
        const res = await install(who, project);
        assert.equal(res.code, 0, `${who}\n${res.stderr}`);
        assert.equal(ran(project, 'allowed'), true, `${who}: an allowed script runs`);
        assert.equal(ran(project, 'unlisted'), true, `${who}: a script the policy does not list runs (npm only reports it)`);
        assert.equal(ran(project, 'denied'), allowScripts?.denied !== false, `${who}: denied only where the policy says so`);
      }
    }
  });

  test("run from inside a workspace, applies the root's policy and ignores the workspace's own, as npm 11 does", async () => {
    const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    for (const who of ['npm', 'tufpm-npm'] as const) {
      const project = await world.project({ workspaces: ['packages/*'], allowScripts: { denied: false } });
      const ws = join(project.dir, 'packages', 'a');
      await mkdir(ws, { recursive: true });
      // the workspace's own policy would allow it: npm ignores a workspace's allowScripts (and warns)
      await writeFile(join(ws, 'package.json'), JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { denied: '1.0.0', allowed: '1.0.0' }, allowScripts: { denied: true } }));
      const args = who === 'npm' ? [npmCli, 'install', '--no-audit', '--no-fund'] : [TUFPM_NPM_CLI, 'install'];
      const res = await run(process.execPath, args, ws, isolatedEnv(project.machine, { npm_config_fetch_retries: '0' }));
      assert.equal(res.code, 0, `${who}\n${res.stderr}`);
      assert.equal(ran(project, 'denied'), false, `${who} ran a script the root policy denies`);
      assert.equal(ran(project, 'allowed'), true, `${who}: a script the root policy does not deny runs`);
      assert.match(res.stderr, /allowScripts in workspace a .*ignored/, `${who} says the workspace's policy is ignored`);
    }
  });

  test('refuses an allowScripts entry npm would drop, where npm runs the script the entry meant to deny', async () => {
    for (const entry of [{ 'denied@^1.0.0': false }, { 'denied@latest': false }, { denied: 'false' }]) {
      const withNpm = await world.project({ dependencies, allowScripts: entry });
      assert.equal((await install('npm', withNpm)).code, 0);
      assert.equal(ran(withNpm, 'denied'), true, `npm ignores ${JSON.stringify(entry)} and runs the script`);

      const project = await world.project({ dependencies, allowScripts: entry });
      const before = await project.state();
      const res = await project.tufpmNpm(['install']);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /TUF_NPM_ALLOW_SCRIPTS/);
      assert.match(res.stderr, new RegExp(Object.keys(entry)[0]!.replace(/[\^|]/g, '\\$&')));
      assert.deepEqual(await project.state(), before, 'nothing installed');
      assert.equal(ran(project, 'denied'), false);
    }
  });
});
