import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NpmRepository } from '../src/index.js';
import { approveClaim, parseClaimRequest } from '../src/maintainer/claims.js';
import { openClientSession } from '../src/maintainer/remote-role.js';
import { claimRequestFile } from '../src/maintainer/routes.js';
import { doneRequestFile } from '../src/maintainer/request-store.js';
import { HIDDEN_PACKAGE_JSON_PATHS, makeTarball, snapshotDir, twoManifestTarball } from './helpers.js';
import { startWorld, type World } from './maintainer-world.js';

const TUFPM = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'maintainer.js');
const TUFPM_REPO = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

interface Run { code: number; stdout: string; stderr: string }

/** Runs a command with a clean environment: its own HOME (no ~/.npmrc of the machine) and cache. */
function run(cmd: string, args: string[], cwd: string, home: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: home, XDG_CACHE_HOME: join(home, '.cache'), TUFPM_PASS: 'correct horse battery', ...extraEnv };
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

async function setup(w: World, who: string): Promise<{ dir: string; home: string; tufpm: (...args: string[]) => Promise<Run> }> {
  const home = join(w.dir, `home-${who}`);
  const dir = join(w.dir, `project-${who}`);
  await mkdir(home, { recursive: true });
  await mkdir(dir, { recursive: true });
  const u = new URL(w.url);
  // The project's .npmrc names the registry; the user's ~/.npmrc holds the token (the way npm login writes it).
  await writeFile(join(dir, '.npmrc'), `registry=${w.url}\n`);
  await writeFile(join(home, '.npmrc'), `//${u.host}/:_authToken=${w.token}\n`);
  await copyFile(w.rootFile, join(dir, 'tufpm-root.json'));
  return { dir, home, tufpm: (...args) => run(process.execPath, [TUFPM, ...args], dir, home) };
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r;
}

test('tufpm CLI: keys, claim, sign, staged publish, cosign, refusals, as child processes against a loopback registry', async () => {
  const w = await startWorld();
  try {
    const alice = await setup(w, 'alice');
    const bob = await setup(w, 'bob');
    // Keys: encrypted PKCS#8 at rest, public half beside it.
    const gen = JSON.parse(ok(await alice.tufpm('key', 'generate', '--key', 'alice.key', '--passphrase-env', 'TUFPM_PASS', '--json'), 'key generate').stdout) as { keyid: string };
    const pem = await readFile(join(alice.dir, 'alice.key'), 'utf8');
    assert.match(pem, /BEGIN ENCRYPTED PRIVATE KEY/);
    assert.equal((await stat(join(alice.dir, 'alice.key'))).mode & 0o777, 0o600);
    const show = JSON.parse(ok(await alice.tufpm('key', 'show', '--key', 'alice.key', '--json'), 'key show').stdout) as { keyid: string };
    assert.equal(show.keyid, gen.keyid);
    ok(await alice.tufpm('key', 'show', '--key', 'alice.key', '--verify', '--passphrase-env', 'TUFPM_PASS'), 'key show --verify');
    const wrong = await run(process.execPath, [TUFPM, 'key', 'show', '--key', 'alice.key', '--verify', '--passphrase-env', 'P'], alice.dir, alice.home, { P: 'not the passphrase' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^TUF_PASSPHRASE: /);
    ok(await bob.tufpm('key', 'generate', '--key', 'bob.key', '--passphrase-env', 'TUFPM_PASS'), 'bob key generate');
    await copyFile(join(bob.dir, 'bob.key.pub'), join(alice.dir, 'bob.key.pub'));

    // An unclaimed package: published the plain way, signed by the registry.
    await writeFile(join(alice.dir, 'left-pad-1.0.0.tgz'), await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    assert.match(ok(await alice.tufpm('publish', 'left-pad-1.0.0.tgz', '--unsigned'), 'unsigned publish').stdout, /\+ left-pad@1\.0\.0/);

    // Claim 2-of-2: alice requests, bob co-signs, alice submits with the package's token; the operator approves.
    const req = JSON.parse(ok(await alice.tufpm('claim', 'request', 'left-pad', '--key', 'alice.key', '--pub', 'bob.key.pub', '--threshold', '2', '--passphrase-env', 'TUFPM_PASS', '--json'), 'claim request').stdout) as { adopted: string[]; file: string };
    assert.deepEqual(req.adopted, ['left-pad/-/left-pad-1.0.0.tgz']);
    await copyFile(req.file, join(bob.dir, 'left-pad.claim.json'));
    ok(await bob.tufpm('claim', 'cosign', 'left-pad.claim.json', '--key', 'bob.key', '--passphrase-env', 'TUFPM_PASS'), 'claim cosign');
    ok(await bob.tufpm('claim', 'submit', 'left-pad.claim.json'), 'claim submit');
    // The operator checks the request, then approves it with the offline key (tufpm-repo).
    const operator = (...args: string[]): Promise<Run> => run(process.execPath, [TUFPM_REPO, ...args, '--registry', w.R, '--keys', w.K], w.dir, alice.home);
    assert.match(ok(await operator('approve-claim', 'left-pad', '--dry-run'), 'approve-claim --dry-run').stdout, /2 of 2 signatures/);
    assert.match(ok(await operator('approve-claim', 'left-pad'), 'approve-claim').stdout, /approved the claim of left-pad[\s\S]*adopted from the unclaimed bins: left-pad\/-\/left-pad-1\.0\.0\.tgz/);
    await stat(doneRequestFile(w.R, 'claim', 'left-pad'));

    // Release 1.1.0: alice signs (1 of 2) and publishes: staged, invisible to installers.
    await writeFile(join(alice.dir, 'left-pad-1.1.0.tgz'), await makeTarball({ name: 'left-pad', version: '1.1.0' }));
    const signed = JSON.parse(ok(await alice.tufpm('sign', 'left-pad-1.1.0.tgz', '--key', 'alice.key', '--passphrase-env', 'TUFPM_PASS', '--json'), 'sign').stdout) as { roleVersion: number; complete: boolean };
    assert.deepEqual([signed.roleVersion, signed.complete], [2, false]);
    const staged = ok(await alice.tufpm('publish', 'left-pad-1.1.0.tgz'), 'publish (staged)');
    assert.match(staged.stdout, /^staged left-pad@1\.1\.0: .*1 of 2 maintainer signatures/);
    const installer = await openClientSession({ registryUrl: w.url, trustedRootPath: w.rootFile, cacheDir: join(w.dir, 'installer-1') });
    assert.equal(await installer.getTargetInfo('left-pad/-/left-pad-1.1.0.tgz'), undefined);

    // Bob co-signs the staged release straight from the registry and publishes it.
    const co = ok(await bob.tufpm('cosign', 'left-pad@1.1.0', '--key', 'bob.key', '--passphrase-env', 'TUFPM_PASS', '--out-dir', 'release', '--publish'), 'cosign');
    assert.match(co.stdout, /2 of 2 signatures[\s\S]*\+ left-pad@1\.1\.0/);
    const after = await openClientSession({ registryUrl: w.url, trustedRootPath: w.rootFile, cacheDir: join(w.dir, 'installer-2') });
    const info = await after.getTargetInfo('left-pad/-/left-pad-1.1.0.tgz');
    assert.deepEqual(info?.rolePath, ['targets', 'left-pad']);

    // A plain publish of the claimed package is refused with instructions.
    await writeFile(join(alice.dir, 'left-pad-1.2.0.tgz'), await makeTarball({ name: 'left-pad', version: '1.2.0' }));
    const plain = await alice.tufpm('publish', 'left-pad-1.2.0.tgz', '--unsigned');
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /TUF_REGISTRY_RESPONSE: .*claimed by its maintainers[\s\S]*tufpm sign/);

    // A key that is not a maintainer key: refused on the maintainer's machine, and, signed offline, by the registry.
    ok(await alice.tufpm('key', 'generate', '--key', 'mallory.key', '--passphrase-env', 'TUFPM_PASS'), 'mallory key');
    const local = await alice.tufpm('sign', 'left-pad-1.2.0.tgz', '--key', 'mallory.key', '--passphrase-env', 'TUFPM_PASS');
    assert.equal(local.code, 1);
    assert.match(local.stderr, /^TUF_KEY_MISMATCH: .*not a maintainer key of left-pad/);
    const repo = await NpmRepository.open({ dir: w.M, keysDir: w.K });
    await writeFile(join(alice.dir, 'current.json'), JSON.stringify(repo.repo.targetsRole('left-pad').toJSON()));
    ok(await alice.tufpm('sign', 'left-pad-1.2.0.tgz', '--key', 'mallory.key', '--current', 'current.json', '--passphrase-env', 'TUFPM_PASS'), 'offline sign');
    const refused = await alice.tufpm('publish', 'left-pad-1.2.0.tgz');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not a maintainer key of left-pad/);

    // A tarball hiding a second package.json: tufpm sign refuses it before signing or writing anything.
    for (const [i, hidden] of HIDDEN_PACKAGE_JSON_PATHS.entries()) {
      const file = `left-pad-1.3.${i}.tgz`;
      await writeFile(join(alice.dir, file), twoManifestTarball('left-pad', `1.3.${i}`, hidden));
      const before = await snapshotDir(alice.dir);
      const twin = await alice.tufpm('sign', file, '--key', 'alice.key', '--passphrase-env', 'TUFPM_PASS');
      assert.equal(twin.code, 1, hidden);
      assert.match(twin.stderr, /^TUF_TARBALL_ENTRY: /, hidden);
      assert.deepEqual(await snapshotDir(alice.dir), before, hidden);
    }
  } finally {
    await w.close();
  }
});

test('real npm publish of a claimed package is refused with a message that says how to sign; of an unclaimed one it works', async () => {
  const w = await startWorld();
  try {
    const alice = await setup(w, 'npm');
    const { maintainer } = await import('./maintainer-world.js');
    await w.claim('left-pad', [maintainer()], 1);
    const npmEnv = {
      npm_config_userconfig: join(alice.home, '.npmrc'), npm_config_globalconfig: join(alice.home, 'global.npmrc'),
      npm_config_update_notifier: 'false', npm_config_loglevel: 'error', npm_config_cache: join(alice.home, 'npm-cache'),
    };
    for (const [name, expectOk] of [['left-pad', false], ['free-pkg', true]] as const) {
      const pkg = join(alice.dir, name);
      await mkdir(pkg);
      await writeFile(join(pkg, 'package.json'), JSON.stringify({ name, version: '2.0.0' }));
      await writeFile(join(pkg, 'index.js'), 'module.exports = 1;\n');
      const r = await run('npm', ['publish', '--ignore-scripts', '--registry', w.url], pkg, alice.home, npmEnv);
      if (expectOk) {
        assert.equal(r.code, 0, r.stderr);
      } else {
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /403/);
        assert.match(r.stderr, /claimed by its maintainers/);
        assert.match(r.stderr, /tufpm sign/);
      }
    }
  } finally {
    await w.close();
  }
});

test('tufpm keys change/approve/submit rotates a maintainer key at threshold; tufpm refresh renews the role', async () => {
  const w = await startWorld();
  try {
    const alice = await setup(w, 'alice');
    const pass = ['--passphrase-env', 'TUFPM_PASS'];
    for (const k of ['alice', 'bob', 'carol']) ok(await alice.tufpm('key', 'generate', '--key', `${k}.key`, ...pass), `${k} key`);
    const { keyid: bobId } = JSON.parse(ok(await alice.tufpm('key', 'show', '--key', 'bob.key', '--json'), 'show').stdout) as { keyid: string };
    const claim = JSON.parse(ok(await alice.tufpm('claim', 'request', 'left-pad', '--key', 'alice.key', '--pub', 'bob.key.pub', '--threshold', '2', ...pass, '--json'), 'claim').stdout) as { file: string };
    ok(await alice.tufpm('claim', 'cosign', claim.file, '--key', 'bob.key', ...pass), 'claim cosign');
    ok(await alice.tufpm('claim', 'submit', claim.file), 'claim submit');
    await approveClaim(await NpmRepository.open({ dir: w.M, keysDir: w.K }), parseClaimRequest(new Uint8Array(await readFile(claimRequestFile(w.R, 'left-pad')))));

    // bob's key is replaced by carol's: alice and bob approve (current keys), carol signs the new role.
    ok(await alice.tufpm('keys', 'change', 'left-pad', '--key', 'alice.key', '--remove', bobId, '--add', 'carol.key.pub', ...pass), 'keys change');
    ok(await alice.tufpm('keys', 'approve', 'left-pad.key-change.json', '--key', 'bob.key', ...pass), 'bob approves');
    ok(await alice.tufpm('keys', 'approve', 'left-pad.key-change.json', '--key', 'carol.key', ...pass), 'carol signs');
    ok(await alice.tufpm('keys', 'submit', 'left-pad.key-change.json'), 'keys submit');
    const applied = ok(await run(process.execPath, [TUFPM_REPO, 'apply-key-change', 'left-pad', '--registry', w.R, '--keys', w.K, '--json'], w.dir, alice.home), 'apply-key-change');
    assert.equal((JSON.parse(applied.stdout) as { roleVersion: number }).roleVersion, 2);

    await writeFile(join(alice.dir, 'left-pad-1.0.0.tgz'), await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    const byBob = await alice.tufpm('sign', 'left-pad-1.0.0.tgz', '--key', 'bob.key', ...pass);
    assert.equal(byBob.code, 1, 'the rotated-out key is no maintainer key any more');
    ok(await alice.tufpm('sign', 'left-pad-1.0.0.tgz', '--key', 'alice.key', ...pass), 'alice signs');
    ok(await alice.tufpm('cosign', 'left-pad-1.0.0.tgz', '--key', 'carol.key', ...pass, '--publish'), 'carol cosigns and publishes');

    ok(await alice.tufpm('refresh', 'left-pad', '--key', 'alice.key', ...pass), 'refresh (alice)');
    const r = ok(await alice.tufpm('refresh', 'left-pad', '--key', 'carol.key', ...pass, '--submit'), 'refresh (carol) + submit');
    assert.match(r.stdout, /role left-pad v4 accepted/);
  } finally {
    await w.close();
  }
});

test('tufpm claim request for a name the operator unclaimed starts one above the retired role (read from the unclaim record); the registry and the operator accept it', async () => {
  const w = await startWorld();
  try {
    const alice = await setup(w, 'alice');
    const pass = ['--passphrase-env', 'TUFPM_PASS'];
    const repoCli = (...args: string[]): Promise<Run> => run(process.execPath, [TUFPM_REPO, ...args, '--registry', w.R, '--keys', w.K, '--json'], w.dir, alice.home);
    ok(await alice.tufpm('key', 'generate', '--key', 'alice.key', ...pass), 'key generate');
    const first = JSON.parse(ok(await alice.tufpm('claim', 'request', 'left-pad', '--key', 'alice.key', ...pass, '--json'), 'claim request').stdout) as { file: string };
    ok(await alice.tufpm('claim', 'submit', first.file), 'claim submit');
    ok(await repoCli('approve-claim', 'left-pad'), 'approve-claim');
    const unclaimed = JSON.parse(ok(await repoCli('unclaim', 'left-pad'), 'tufpm-repo unclaim').stdout) as { roleVersion: number };
    const again = JSON.parse(ok(await alice.tufpm('claim', 'request', 'left-pad', '--key', 'alice.key', ...pass, '--out', 'again.claim.json', '--json'), 'claim request again').stdout) as { file: string };
    assert.equal(parseClaimRequest(new Uint8Array(await readFile(again.file))).role.signed.version, unclaimed.roleVersion + 1);
    ok(await alice.tufpm('claim', 'submit', again.file), 'claim submit again');
    const approved = JSON.parse(ok(await repoCli('approve-claim', 'left-pad'), 'approve-claim again').stdout) as { name: string };
    assert.equal(approved.name, 'left-pad');
    const repo = await NpmRepository.open({ dir: w.M, keysDir: w.K });
    assert.equal(repo.repo.targetsRole('left-pad').signed.version, unclaimed.roleVersion + 1);
    assert.equal(repo.claimedRole('left-pad')?.name, 'left-pad');
  } finally {
    await w.close();
  }
});
