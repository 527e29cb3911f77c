import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NpmRepository } from '../src/index.js';
import { applyKeyChange, createKeyChange, keyChangeToJSON, parseKeyChange, signKeyChange } from '../src/maintainer/key-change.js';
import { generateMaintainerKey, readMaintainerPublicKey, readMaintainerSigner } from '../src/maintainer/key-file.js';
import { parseNpmrc, readNpmrc, registryFor, tokenFor } from '../src/maintainer/npmrc.js';
import { publishRelease } from '../src/maintainer/registry-client.js';
import { prepareRelease, signRole } from '../src/maintainer/role-build.js';
import { makeTarball, tempDir } from './helpers.js';
import { maintainer, startWorld, type Maintainer, type World } from './maintainer-world.js';

test('key generate writes an encrypted PKCS#8 key (0600) that only its passphrase opens, and refuses to overwrite', async () => {
  const t = await tempDir();
  try {
    const path = join(t.path, 'keys', 'alice.key');
    const g = await generateMaintainerKey(path, 'correct horse battery');
    const pem = await readFile(path, 'utf8');
    assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await readMaintainerPublicKey(path)).keyid, g.key.keyid, 'the public half is read without the passphrase');
    const signer = await readMaintainerSigner(path, async () => 'correct horse battery');
    assert.equal(signer.key.keyid, g.key.keyid);
    await assert.rejects(readMaintainerSigner(path, async () => 'wrong passphrase'), { code: 'TUF_PASSPHRASE' });
    await assert.rejects(readMaintainerSigner(path, async () => ''), { code: 'TUF_PASSPHRASE' });
    await assert.rejects(generateMaintainerKey(path, 'correct horse battery'), { code: 'TUF_INVALID_INPUT' });
    await assert.rejects(generateMaintainerKey(join(t.path, 'short.key'), 'short'), { code: 'TUF_PASSPHRASE' });
  } finally {
    await t.cleanup();
  }
});

test('.npmrc: project before user, scoped registries, longest matching token, env expansion', async () => {
  const t = await tempDir();
  try {
    const project = join(t.path, 'project');
    const home = join(t.path, 'home');
    await (await import('node:fs/promises')).mkdir(project, { recursive: true });
    await (await import('node:fs/promises')).mkdir(home, { recursive: true });
    await writeFile(join(project, '.npmrc'), 'registry=http://127.0.0.1:4873/\n@acme:registry = "http://127.0.0.1:5000/npm/"\n');
    await writeFile(join(home, '.npmrc'), [
      'registry=https://ignored.example/',
      '//127.0.0.1:4873/:_authToken=tok-root',
      '//127.0.0.1:5000/:_authToken=tok-short',
      '//127.0.0.1:5000/npm/:_authToken=${ACME_TOKEN}',
      '; comment',
    ].join('\n'));
    const env = { HOME: home, ACME_TOKEN: 'tok-acme' };
    const s = await readNpmrc(project, env);
    assert.equal(registryFor(s, 'left-pad', env), 'http://127.0.0.1:4873/');
    assert.equal(registryFor(s, '@acme/x', env), 'http://127.0.0.1:5000/npm/');
    assert.equal(tokenFor(s, 'http://127.0.0.1:4873/'), 'tok-root');
    assert.equal(tokenFor(s, 'http://127.0.0.1:5000/npm/'), 'tok-acme');
    assert.equal(tokenFor(s, 'http://127.0.0.1:9999/'), undefined, 'a token is never sent to another host');
    assert.equal(registryFor(s, 'x', { ...env, NPM_CONFIG_REGISTRY: 'http://127.0.0.1:1/' }), 'http://127.0.0.1:1/');
    assert.throws(() => parseNpmrc('//h/:_authToken=${MISSING}', {}, 'x'), { code: 'TUF_MAINTAINER_CONFIG' });
  } finally {
    await t.cleanup();
  }
});

async function release(w: World, name: string, version: string, signers: Maintainer[]): Promise<string> {
  const repo = await NpmRepository.open({ dir: w.M, keysDir: w.K });
  const tarball = await makeTarball({ name, version });
  const { pkg, role } = await prepareRelease(repo.repo.targetsRole(name), tarball, { now: new Date() });
  signRole(role, signers.map((s) => s.signer));
  try {
    return (await publishRelease({ registryUrl: w.url, token: w.token, tarball, pkg, role })).outcome;
  } catch (err) {
    return (err as { remoteCode?: string }).remoteCode ?? String(err);
  }
}

test('maintainers at threshold rotate one of their keys; the old key no longer signs releases', async () => {
  const w = await startWorld();
  try {
    const [a, b, c] = [maintainer(), maintainer(), maintainer()];
    await w.claim('left-pad', [a, b], 2);
    const repo = await NpmRepository.open({ dir: w.M, keysDir: w.K });
    const current = repo.claimedRole('left-pad')!;
    const currentKeys = current.keyids.map((id) => repo.repo.targets.signed.delegations!.keys.get(id)!);
    const change = createKeyChange({ name: 'left-pad', currentKeys, currentRole: repo.repo.targetsRole('left-pad'), remove: [b.key.keyid], add: [c.key], threshold: 2, now: new Date() });
    signKeyChange(change, a.signer, current.keyids);
    // One approval of two is not enough.
    const half = parseKeyChange(new TextEncoder().encode(JSON.stringify(keyChangeToJSON(change))));
    signKeyChange(half, c.signer, current.keyids);
    await assert.rejects(applyKeyChange(repo, half), { code: 'TUF_CLAIM', message: /1 of 2 current maintainers/ });
    signKeyChange(change, b.signer, current.keyids);
    // Approved, but the re-signed role lacks the new threshold (only a signed it).
    await assert.rejects(applyKeyChange(repo, parseKeyChange(new TextEncoder().encode(JSON.stringify(keyChangeToJSON(change))))), { message: /1 of 2 signatures of the new keys/ });
    signKeyChange(change, c.signer, current.keyids);
    // Tampering with the approved content (threshold) breaks the approvals.
    const tampered = parseKeyChange(new TextEncoder().encode(JSON.stringify(keyChangeToJSON(change))));
    tampered.threshold = 1;
    await assert.rejects(applyKeyChange(repo, tampered), { message: /does not verify/ });
    const applied = await applyKeyChange(repo, change);
    assert.deepEqual(applied.keyids.sort(), [a.key.keyid, c.key.keyid].sort());
    assert.equal(await release(w, 'left-pad', '1.1.0', [a, b]), 'TUF_ROLE_REFUSED');
    assert.equal(await release(w, 'left-pad', '1.1.0', [a, c]), 'published');
  } finally {
    await w.close();
  }
});
