import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, create } from 'tar';

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

/** A gzip'd tar with exactly these entries, in order: the unsafe paths `npm pack` never writes included. */
export function rawTarball(entries: Array<{ path: string; data: string }>): Uint8Array {
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data);
    const block = Buffer.alloc(512);
    new Header({ path: e.path, mode: 0o644, size: data.length, mtime: new Date(0), type: 'File' }).encode(block, 0);
    chunks.push(block, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  chunks.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(chunks)));
}

/** The hidden second package.json of issue 14 case 6: the paths a naive `/` split takes for other files. */
export const HIDDEN_PACKAGE_JSON_PATHS = ['package/./package.json', 'package//package.json', 'package\\package.json'];

/** A tarball whose first package.json is harmless and whose second (hidden at `hidden`) adds a dependency and a postinstall. */
export function twoManifestTarball(name: string, version: string, hidden: string): Uint8Array {
  return rawTarball([
    { path: 'package/package.json', data: JSON.stringify({ name, version }) },
    { path: hidden, data: JSON.stringify({ name, version, dependencies: { evil: '*' }, scripts: { postinstall: 'node evil.js' } }) },
    { path: 'package/evil.js', data: 'process.exit(0)\n' },
  ]);
}
