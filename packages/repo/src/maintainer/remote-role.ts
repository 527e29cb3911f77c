import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { releaseIndexPath, type Metadata, type TargetFile, type Targets } from '@tufpm/models';
import { UnknownPackageError } from '../errors.js';
import { isErrno } from '../fs-util.js';
import { tarballTargetPath } from '../tarball.js';
import { delegationFor, type ReleaseCheckInput } from './release-check.js';

/** The slice of @tufpm/client used here. */
interface TargetInfoLike {
  path: string;
  targetFile: TargetFile;
  rolePath: readonly string[];
}
interface TrustedSetLike {
  targets: Metadata<Targets> | undefined;
  getRole(path: readonly string[]): Metadata<Targets> | undefined;
}
interface UpdaterLike {
  refresh(): Promise<unknown>;
  readonly trustedSet: TrustedSetLike | undefined;
  getTargetInfo(path: string): Promise<TargetInfoLike | undefined>;
  getTargetInfos(paths: readonly string[]): Promise<Map<string, TargetInfoLike | undefined>>;
}
interface ClientModule {
  Updater: new (opts: { metadataDir: string; metadataBaseUrl: string; targetBaseUrl: string; config: { prefixTargetsWithHash: boolean } }) => UpdaterLike;
}

export interface ClientSessionOptions {
  /** registry URL, ending in `/` */
  registryUrl: string;
  /** the root this maintainer trusts (e.g. the project's tufpm-root.json) */
  trustedRootPath: string;
  /** metadata cache (0700); its root.json is seeded from trustedRootPath the first time */
  cacheDir: string;
}

/**
 * A TUF client session (@tufpm/client's Updater: the full TUF 5.1-5.6 workflow) against the registry.
 * The client is loaded at run time: @tufpm/repo does not reference @tufpm/client at build time.
 */
export async function openClientSession(o: ClientSessionOptions): Promise<UpdaterLike> {
  const specifier = '@tufpm/client';
  const { Updater } = (await import(specifier)) as ClientModule;
  await mkdir(o.cacheDir, { recursive: true, mode: 0o700 });
  try {
    await stat(join(o.cacheDir, 'root.json'));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    // The cache keeps the newest root verified so far; the trusted root seeds it only once.
    await copyFile(o.trustedRootPath, join(o.cacheDir, 'root.json'));
  }
  const updater = new Updater({
    metadataDir: o.cacheDir, metadataBaseUrl: `${o.registryUrl}-/tuf/metadata/`, targetBaseUrl: o.registryUrl,
    config: { prefixTargetsWithHash: false },
  });
  await updater.refresh();
  return updater;
}

export interface CurrentPackageRole {
  role: Metadata<Targets>;
  delegation: ReleaseCheckInput['delegation'];
}

/**
 * The package's current role, verified by the client against the delegation in top-level targets
 * (TUF 5.6), and that delegation. Throws TUF_UNKNOWN_PACKAGE when the package is not claimed.
 */
export async function fetchCurrentRole(session: UpdaterLike, name: string): Promise<CurrentPackageRole> {
  const targets = session.trustedSet?.targets;
  if (targets === undefined) throw new UnknownPackageError('the TUF session has no top-level targets');
  const delegation = delegationFor(targets.signed, name);
  if (delegation === undefined) throw new UnknownPackageError(`package ${name} is not claimed: its versions are signed by the registry (claim it first: tufpm claim request ${name})`);
  // Any path under the package reaches its role first; the role is terminating, so the search stops there.
  await session.getTargetInfo(tarballTargetPath(name, '0.0.0-tufpm-probe'));
  const role = session.trustedSet!.getRole(['targets', name]);
  if (role === undefined) throw new UnknownPackageError(`the role of ${name} could not be loaded`);
  return { role, delegation };
}

/** The registry-signed (unclaimed bin) targets of the given versions of a package, verified through TUF. */
export async function fetchBinTargets(session: UpdaterLike, name: string, versions: readonly string[]): Promise<TargetFile[]> {
  // The registry-signed release list moves into the claimed role with the versions (ADR 0013).
  const paths = [...versions.map((v) => tarballTargetPath(name, v)), releaseIndexPath(name)];
  const infos = await session.getTargetInfos(paths);
  const out: TargetFile[] = [];
  for (const info of infos.values()) if (info !== undefined && info.rolePath[1] !== name) out.push(info.targetFile);
  return out;
}
