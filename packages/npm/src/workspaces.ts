import { relative, resolve } from 'node:path';
import type { NpmConfig } from './config.js';
import { NpmUsageError } from './errors.js';

/**
 * The workspaces a command runs in, chosen as npm 11 chooses them (lib/base-cmd.js setWorkspaces and
 * lib/utils/get-workspaces.js): `-w <name|path|dir>` (repeatable), `--workspaces` for all; from inside a
 * workspace directory @npmcli/config has already made the root the prefix and selected that workspace.
 * Returns undefined when no workspace was asked for (the whole project, as npm's plain `exec`), and the
 * names otherwise, which Arborist takes as its `workspaces` option.
 */
export async function workspaceNames(config: NpmConfig, cwd: string): Promise<string[] | undefined> {
  const filters = config.workspaceFilters;
  if (config.allWorkspaces === false) {
    if (filters.length > 0 && filters.some((f) => resolve(cwd, f) !== resolve(config.prefix, f))) {
      throw new NpmUsageError('--workspace cannot be combined with --no-workspaces');
    }
    return undefined;
  }
  if (filters.length === 0 && config.allWorkspaces !== true) return undefined;
  // loaded only here: most installs name no workspace, and these modules cost each of them ~20 ms of CPU
  const [{ default: PackageJson }, { default: mapWorkspaces }, { minimatch }] = await Promise.all([
    import('@npmcli/package-json'),
    import('@npmcli/map-workspaces'),
    import('minimatch'),
  ]);
  const { content: pkg } = await PackageJson.normalize(config.prefix);
  const all = await mapWorkspaces({ cwd: config.prefix, pkg });
  const relativeFrom = relative(config.prefix, cwd).startsWith('..') ? config.prefix : cwd;
  const globify = (pattern: string): string => pattern.split('\\').join('/');
  const chosen = new Map<string, string>();
  if (filters.length === 0) for (const [name, path] of all) chosen.set(name, path);
  for (const filter of filters) {
    for (const [name, path] of all) {
      let relativePath = relative(relativeFrom, path);
      if (filter.startsWith('./')) relativePath = `./${relativePath}`;
      const relativeFilter = relative(config.prefix, filter);
      if (
        filter === name ||
        resolve(relativeFrom, filter) === path ||
        minimatch(relativePath, `${globify(relativeFilter)}/*`) ||
        minimatch(relativePath, `${globify(filter)}/*`)
      ) {
        chosen.set(name, path);
      }
    }
  }
  if (chosen.size === 0) {
    throw new NpmUsageError(`No workspaces found${filters.length > 0 ? `: ${filters.map((f) => `--workspace=${f}`).join(' ')}` : '!'}`);
  }
  return [...chosen.keys()];
}
