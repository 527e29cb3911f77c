import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic, type AtomicWriteOptions } from '@tufpm/merkle';

/**
 * The registry's writes: @tufpm/merkle's writeFileAtomic (temp file beside the target, fsync unless
 * `durable: false`, rename; readers such as a concurrent GET see the old file or the new one), into a
 * directory created on demand (a package's first packument, tarball or publish journal).
 */
export async function atomicWrite(file: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, data, options);
}
