// Reading and writing a test project's files, shared by the npm and Yarn project helpers.
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The file's text, or undefined when it does not exist. */
export async function readProjectFile(dir: string, file: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeProjectFile(dir: string, file: string, text: string): Promise<void> {
  await mkdir(dirname(join(dir, file)), { recursive: true });
  await writeFile(join(dir, file), text);
}

/**
 * One digest of everything below `dir` (paths, file bytes, symlink targets; '' when it does not exist): a
 * refused install must leave node_modules exactly as it was, not only its top-level names.
 */
export async function treeDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    let entries: string[];
    try {
      entries = (await readdir(join(dir, rel))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw error;
    }
    for (const name of entries) {
      const path = join(rel, name);
      const st = await lstat(join(dir, path));
      if (st.isSymbolicLink()) hash.update(`l ${path} ${await readlink(join(dir, path))}\n`);
      else if (st.isDirectory()) {
        hash.update(`d ${path}\n`);
        await walk(path);
      } else hash.update(`f ${path} ${st.mode & 0o777} ${createHash('sha256').update(await readFile(join(dir, path))).digest('hex')}\n`);
    }
  };
  await walk('');
  return hash.digest('hex');
}
