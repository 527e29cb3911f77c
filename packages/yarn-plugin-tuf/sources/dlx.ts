import { existsSync } from 'fs';
import { basename, isAbsolute, join, relative } from 'path';
import { Configuration } from '@yarnpkg/core';
import { npath } from '@yarnpkg/fslib';

// `yarn dlx <pkg>` (measured with Yarn 4.18): Yarn makes a temporary project `<tmp>/xfs-<hex>/dlx-<pid>`
// with `{}` as package.json, an empty yarn.lock and a COPY of the project's .yarnrc.yml (plugin paths made
// absolute), then runs `yarn add --fixed <pkg>` there in the same process, whose working directory stays
// the user's. The plugin is loaded there with the project's settings, but the temporary project has no
// tufpm-root.json and no tufpm-lock.json: every dlx failed TUF_NO_TRUSTED_ROOT. ADR 0016.
//
// Here the temporary project is checked with the trust of the project dlx was started from (the one whose
// .yarnrc.yml Yarn copied): its trusted root and its pins as the floor. The packages dlx installs are not
// the project's: its tufpm-lock.json is read, never written (the temporary project's copy is discarded).

export interface DlxTrust {
  /** the project `yarn dlx` was started from */
  sourceProject: string;
  trustedRootPath: string;
  pinsPath: string;
}

/**
 * The trust of the project a `yarn dlx` temporary project was made from, or null when `projectCwd` is no
 * dlx project of this process (or dlx ran outside a project, or the project has no trusted root).
 * `trustedRoot` is the configured tufTrustedRoot: Yarn resolved a relative one against the temporary copy
 * of .yarnrc.yml, so it is taken back to the source project.
 */
export async function dlxTrust(projectCwd: string, trustedRoot: string | null, lockfileFilename: string): Promise<DlxTrust | null> {
  // the temporary project is named after the process that runs the dlx command (this one)
  if (basename(projectCwd) !== `dlx-${process.pid}`) return null;
  const found = await Configuration.findProjectCwd(npath.toPortablePath(process.cwd()));
  if (found === null) return null;
  const sourceProject = npath.fromPortablePath(found);
  if (sourceProject === projectCwd) return null;
  let trustedRootPath = join(sourceProject, 'tufpm-root.json');
  if (trustedRoot !== null) {
    const configured = npath.fromPortablePath(trustedRoot);
    const inTemp = relative(projectCwd, configured);
    trustedRootPath = !inTemp.startsWith('..') && !isAbsolute(inTemp) ? join(sourceProject, inTemp) : configured;
  }
  if (!existsSync(trustedRootPath)) return null;
  return { sourceProject, trustedRootPath, pinsPath: join(sourceProject, lockfileFilename) };
}
