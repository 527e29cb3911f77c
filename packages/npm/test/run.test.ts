import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Output } from '../src/index.js';

function capture(): Output & { out: string; err: string } {
  const o = { out: '', err: '', stderrIsTTY: false } as Output & { out: string; err: string };
  o.stdout = (t: string) => void (o.out += t);
  o.stderr = (t: string) => void (o.err += t);
  return o;
}

test('exit codes: 0 for help, 2 for usage errors, 1 with a coded error when no trusted root is configured', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-npm-run-'));
  try {
    await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.0.0"}');
    await writeFile(join(dir, '.npmrc'), 'registry=http://127.0.0.1:9/\n');
    const ctx = (out: Output) => ({ cwd: dir, env: {}, out, home: dir });
    const help = capture();
    assert.equal(await runCli(['--help'], ctx(help)), EXIT_OK);
    assert.match(help.out, /Usage: tufpm-npm/);
    const usage = capture();
    assert.equal(await runCli(['install', '--bogus'], ctx(usage)), EXIT_USAGE);
    const ci = capture();
    assert.equal(await runCli(['ci'], ctx(ci)), EXIT_USAGE, 'ci without package-lock.json is a usage error');
    assert.match(ci.err, /package-lock\.json/);
    const install = capture();
    assert.equal(await runCli(['install', 'left', '--json'], ctx(install)), EXIT_FAILURE);
    assert.match(install.err, /TUF_NO_TRUSTED_ROOT/);
    assert.equal((JSON.parse(install.out) as { errors: Array<{ code: string }> }).errors[0]!.code, 'TUF_NO_TRUSTED_ROOT');
    const status = capture();
    assert.equal(await runCli(['status'], ctx(status)), EXIT_FAILURE);
    assert.match(status.out, /registry: +http:\/\/127\.0\.0\.1:9\//);
    assert.match(status.out, /pins: +none/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
