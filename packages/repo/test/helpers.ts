import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create } from 'tar';

export async function tempDir(prefix = 'tufpm-repo-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A real npm-style tarball: gzip'd tar with package/package.json (+ extra files). */
export async function makeTarball(manifest: Record<string, unknown>, extra: Record<string, string> = {}, top = 'package'): Promise<Uint8Array> {
  const { path, cleanup } = await tempDir('tufpm-tgz-');
  try {
    await mkdir(join(path, top), { recursive: true });
    await writeFile(join(path, top, 'package.json'), JSON.stringify(manifest));
    for (const [f, c] of Object.entries(extra)) {
      await mkdir(dirname(join(path, top, f)), { recursive: true });
      await writeFile(join(path, top, f), c);
    }
    const out = join(path, 'out.tgz');
    await create({ gzip: true, file: out, cwd: path, portable: true }, [top]);
    return new Uint8Array(await readFile(out));
  } finally {
    await cleanup();
  }
}

/** Every file under dir (relative path -> bytes + mode), to prove an operation wrote nothing. */
export async function snapshotDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(p, r);
      else out.set(r, `${(await stat(p)).mode.toString(8)}:${(await readFile(p)).toString('base64')}`);
    }
  };
  await walk(dir, '');
  return out;
}
