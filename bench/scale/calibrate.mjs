#!/usr/bin/env node
// Fits ROLE_BYTES of generate.mjs on real role files: a claimed package role signed by one maintainer,
// after 1 and after 20 published versions (real tarballs with a package.json declaring two dependencies).
//   node bench/scale/calibrate.mjs   -> {"base": ..., "perVersion": ...}
import { mkdtemp, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { generateEd25519KeyPair, encodeRoleName } from '@tufpm/models';
import { initRepository, readPackageTarball } from '@tufpm/repo';

const tmp = await mkdtemp(join(tmpdir(), 'tufpm-calibrate-'));
try {
  const repo = await initRepository({ dir: join(tmp, 'm'), keysDir: join(tmp, 'k'), bitLength: 1 });
  const maint = generateEd25519KeyPair().signer;
  const name = 'some-package-name';
  await repo.addPackage(name, [maint.key], 1, { signers: [maint] });
  const tarball = async (version) => {
    const d = join(tmp, `t-${version}`);
    await mkdir(join(d, 'package'), { recursive: true });
    await writeFile(join(d, 'package', 'package.json'), JSON.stringify({ name, version, dependencies: { 'left-pad': '^1.3.0', '@types/node': '^20.0.0' } }));
    await create({ gzip: true, file: join(d, 'p.tgz'), cwd: d, portable: true }, ['package']);
    return readPackageTarball(new Uint8Array(await readFile(join(d, 'p.tgz'))));
  };
  const size = async () => {
    const v = repo.repo.role(name).signed.version;
    return (await readFile(join(tmp, 'm', `${v}.${encodeRoleName(name)}.json`))).length;
  };
  await repo.publishPrepared([await tarball('1.0.0')], { signers: [maint] });
  const one = await size();
  const more = [];
  for (let i = 1; i < 20; i++) more.push(await tarball(`1.0.${i}`));
  await repo.publishPrepared(more, { signers: [maint] });
  const twenty = await size();
  const perVersion = Math.round((twenty - one) / 19);
  process.stdout.write(`${JSON.stringify({ one, twenty, base: one - perVersion, perVersion })}\n`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
