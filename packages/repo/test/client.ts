import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The slice of @tufpm/client these tests use. */
interface TargetInfoLike {
  path: string;
  length: number;
  hashes: Record<string, string>;
}
interface UpdaterLike {
  refresh(): Promise<unknown>;
  getTargetInfo(path: string): Promise<TargetInfoLike | undefined>;
  fetchTarget(info: TargetInfoLike): Promise<Uint8Array>;
}
interface ClientModule {
  Updater: new (opts: { metadataDir: string; metadataBaseUrl: string; targetBaseUrl: string; config: { prefixTargetsWithHash: boolean } }) => UpdaterLike;
}

/**
 * The real client (@tufpm/client), loaded at run time: repo must not depend on client at build time
 * (client tests may build on repo, and project references cannot cycle).
 */
export async function newUpdater(clientDir: string, trustedRoot: string, baseUrl: string): Promise<UpdaterLike> {
  const specifier = '@tufpm/client';
  const { Updater } = (await import(specifier)) as ClientModule;
  await mkdir(clientDir, { recursive: true, mode: 0o700 });
  await copyFile(trustedRoot, join(clientDir, 'root.json'));
  return new Updater({ metadataDir: clientDir, metadataBaseUrl: `${baseUrl}/-/tuf/metadata/`, targetBaseUrl: `${baseUrl}/`, config: { prefixTargetsWithHash: false } });
}
