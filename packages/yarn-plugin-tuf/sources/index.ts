import type { Hooks, Plugin } from '@yarnpkg/core';
import { configuration } from './configuration.js';
import { afterAllInstalled, validateProject, wrapNetworkRequest } from './hooks.js';
import { reduceDependency } from './exact-versions.js';
import { TufInitCommand } from './commands/init.js';
import { TufStatusCommand } from './commands/status.js';
import { TufVerifyCommand } from './commands/verify.js';

/**
 * tufpm for Yarn 4: every npm tarball of the tree is verified against its package's TUF delegated role
 * before Yarn uses it, and the verified state is pinned in tufpm-lock.json beside yarn.lock.
 */
const plugin: Plugin<Hooks> = {
  configuration,
  hooks: {
    validateProject,
    wrapNetworkRequest,
    afterAllInstalled,
    reduceDependency,
  },
  commands: [TufInitCommand, TufStatusCommand, TufVerifyCommand],
};

export default plugin;
