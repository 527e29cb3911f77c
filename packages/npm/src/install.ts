import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Arborist, { type ArboristNode, type ArboristOptions, type ArboristTree } from '@npmcli/arborist';
import { TufError } from '@tufpm/models';
import { InstallVerifier, pinsMissingError, pinsMissingWarning, pinsStaleError, type SignedTarget, type VerifierOptions, type VerifierSummary } from '@tufpm/verify';
import type { NpmConfig } from './config.js';
import { NpmUsageError, NpmVerifyError } from './errors.js';
import { failOnOptionalIntegrityErrors, refuseUnverifiedExtractions } from './reify-guard.js';
import { checkEntriesBeforeExtraction } from './entry-guard.js';
import { installLibraryOptions } from './install-options.js';
import type { Progress } from './progress.js';
import { verifyTree, type TreeVerifyOptions, type TreeVerifyResult } from './tree-verify.js';
import { withReleaseListGuard } from './release-guard.js';
import { checkSignedEngines } from './engines.js';
import { projectAllowScripts, workspacePolicyWarnings } from './allow-scripts.js';

/** The commands that build a tree and reify it (npm's Arborist commands). */
export type TreeCommandName = 'install' | 'ci' | 'uninstall' | 'update' | 'dedupe' | 'prune';

export interface InstallRequest {
  command: TreeCommandName;
  /** install: specs to add; uninstall: names to remove; update: names to update (none: all). */
  packages: string[];
  /** Arborist's `workspaces` (workspaces.ts), undefined for the whole project. */
  workspaces?: string[];
}

export interface InstallResult {
  command: TreeCommandName;
  verified: SignedTarget[];
  exempt: string[];
  unsafeAllowed: string[];
  integrityReplaced: Array<{ pkg: string; before: string | null }>;
  summary: VerifierSummary;
  /** Pins were not moved: --dry-run, --no-save, or ci. */
  pinsMoved: boolean;
  /** npm's warnings tufpm-npm computes itself (EBADENGINE on the signed engines). */
  warnings: string[];
  /** Registry nodes whose dependency, manifest and edge checks came from this machine's sealed records (ADR 0023). */
  checksFromRecords: number;
}

/** Several verification failures at once; the CLI prints each one. `code` is the first one's. */
export class VerificationFailures extends TufError {
  constructor(readonly failures: TufError[]) {
    super(failures[0]!.code, `${failures.length} package(s) failed verification; nothing was installed`);
  }
}

export function arboristOptions(config: NpmConfig): ArboristOptions {
  // npm's own flat options (every install-shaping key: --legacy-peer-deps, --install-strategy, --omit,
  // --before, --dry-run, --no-save, ...), computed by npm's flatten (config.ts); the registry is the one
  // tufpm's TUF metadata covers, and audit stays off (it only reports; no library reads fund). Keys only other npm commands
  // read are left out: every library of the install copies its options per request (install-options.ts).
  return {
    ...installLibraryOptions(config.flat),
    path: config.prefix,
    registry: config.registry,
    // npm keeps its content-addressed cache in <cache>/_cacache; share it the same way.
    cache: join(config.cache, '_cacache'),
    audit: false,
    progress: false,
    ignoreScripts: config.ignoreScripts,
    // npm's flatten turns the (refused) allow-scripts key into an empty list; the policy npm passes comes
    // from package.json, added by runInstall (allow-scripts.ts).
    allowScripts: null,
    omit: config.omit,
  } as ArboristOptions;
}

export function openVerifier(config: NpmConfig, progress?: Progress): Promise<InstallVerifier> {
  return InstallVerifier.open(verifierOptions(config, progress));
}

/** The verifier options of this configuration (install, ci, verify, init). */
export function verifierOptions(config: NpmConfig, progress?: Progress): VerifierOptions {
  return {
    projectDir: config.prefix,
    registryUrl: config.registry,
    ...(config.tufpmMetadataUrl ? { metadataUrl: config.tufpmMetadataUrl } : {}),
    trustedRootPath: config.tufpmRoot,
    stateDir: config.tufpmStateDir,
    stateDirIsDefault: config.tufpmStateDirIsDefault,
    packageCaches: [config.cache],
    unsafeUnverifiedPackages: config.unsafeUnverifiedPackages,
    requireMaintainerSigned: config.requireMaintainerSigned,
    minimumThreshold: config.minimumThreshold,
    ...(config.snapshotMaxLength !== undefined ? { snapshotMaxLength: config.snapshotMaxLength } : {}),
    // npm's fetch-timeout (flattened to `timeout`) also bounds a stall or a trickle on TUF metadata (ADR 0019)
    ...(typeof config.flat['timeout'] === 'number' ? { networkTimeoutMs: config.flat['timeout'] } : {}),
    onProgress: (event) => {
      if (event.phase === 'refresh') progress?.update('refreshing TUF metadata', event.done, event.total);
    },
  };
}

/** verifyTree's options under this configuration (install, ci, verify, status, ls). */
export function treeVerifyOptions(config: NpmConfig, command: TreeVerifyOptions['command'], progress?: Progress): TreeVerifyOptions {
  return {
    command,
    registry: config.registry,
    allowGit: config.unsafeAllowGit,
    allowFile: config.unsafeAllowFile,
    allowRemote: config.unsafeAllowRemote,
    onProgress: (done, total, name) => progress?.update('verifying', done, total, name),
  };
}

function lockfilePresent(prefix: string): boolean {
  return existsSync(join(prefix, 'package-lock.json')) || existsSync(join(prefix, 'npm-shrinkwrap.json'));
}

/** npm ci's check: the tree built from package.json must be exactly the one in the lockfile. */
function lockOutOfSync(virtual: ArboristTree, ideal: ArboristTree): string[] {
  const errors: string[] = [];
  const lock = new Map(virtual.inventory);
  for (const [location, node] of ideal.inventory) {
    const locked = lock.get(location);
    if (!locked) errors.push(`Missing: ${node.name}@${node.version} from lock file`);
    else if (locked.version !== node.version) errors.push(`Invalid: lock file's ${locked.name}@${locked.version} does not satisfy ${node.name}@${node.version}`);
  }
  return errors;
}

/** pacote's EINTEGRITY names no package; the guard tells us which node it was. */
function integrityFailure(node: ArboristNode, signed: Map<string, SignedTarget>, cause: Error): NpmVerifyError {
  const key = `${node.packageName}@${node.version}`;
  return new NpmVerifyError('TUF_TARBALL_MISMATCH', `${key}: the tarball received differs from the sha512 signed by its TUF role (pacote EINTEGRITY)`, {
    packageName: node.packageName,
    version: node.version,
    ...(signed.get(key) ? { role: signed.get(key)!.role } : {}),
    attack: 'tampered tarball (registry, mirror, CDN, network or the local npm cache altered the bytes)',
    recovery: 'nothing was installed; retry against the real registry, and run `npm cache clean --force` if the local cache is suspect',
    cause,
  });
}

const BACKUP_PREFIX = '.tufpm-ci-backup-';

/**
 * A `ci` killed (kill -9, a CI timeout) between moving node_modules aside and putting it back or removing it
 * leaves its backup in the project for good (found by the crash loop, issue 19). The next ci removes the
 * backups of processes that no longer run (and unnamed ones of older versions); it installs node_modules
 * afresh anyway. A backup of a ci still running (another process) is left alone.
 */
async function removeStaleBackups(prefix: string): Promise<void> {
  for (const entry of await readdir(prefix)) {
    if (!entry.startsWith(BACKUP_PREFIX)) continue;
    const pid = /^(\d+)-[0-9a-f]+$/.exec(entry.slice(BACKUP_PREFIX.length))?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && processRuns(Number(pid))) continue;
    await rm(join(prefix, entry), { recursive: true, force: true });
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * `ci` installs into a clean node_modules. npm deletes node_modules first; we move it aside instead and
 * put it back if reify fails, so a refused install leaves the project exactly as it was.
 */
async function withCleanNodeModules<T>(prefix: string, run: () => Promise<T>): Promise<T> {
  const nm = join(prefix, 'node_modules');
  await removeStaleBackups(prefix);
  const backup = join(prefix, `${BACKUP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  const moved = existsSync(nm);
  if (moved) await rename(nm, backup);
  try {
    const value = await run();
    if (moved) await rm(backup, { recursive: true, force: true });
    return value;
  } catch (error) {
    await rm(nm, { recursive: true, force: true });
    if (moved) await rename(backup, nm);
    throw error;
  }
}

/** What the command asks of Arborist's buildIdealTree and reify, as npm's command of the same name. */
async function commandOptions(config: NpmConfig, request: InstallRequest): Promise<Record<string, unknown>> {
  const ws = request.workspaces === undefined ? {} : { workspaces: request.workspaces };
  switch (request.command) {
    case 'install':
      return { ...ws, add: request.packages, save: config.save };
    case 'ci':
      // npm ci: never skip the lockfile, never write package.json or package-lock.json.
      return { ...ws, packageLock: true, save: false };
    case 'uninstall':
      if (request.packages.length === 0) throw new NpmUsageError('Must provide a package name to remove');
      return { ...ws, rm: request.packages, save: config.save };
    case 'update':
      // npm update saves package.json only when --save is given explicitly.
      return { ...ws, update: request.packages.length === 0 ? { all: true } : { names: request.packages }, save: config.sources.has('save') ? config.save : false };
    case 'dedupe': {
      // Arborist's dedupe(): every name found more than once is updated with preferDedupe; npm never saves.
      const tree = await new Arborist(arboristOptions(config)).loadVirtual().catch(() => new Arborist(arboristOptions(config)).loadActual());
      const names = [...tree.inventory.query('name')].filter((name) => tree.inventory.query('name', name).size > 1);
      return { ...ws, preferDedupe: true, update: { names }, save: false };
    }
    case 'prune':
      return { ...ws };
  }
}

export async function runInstall(config: NpmConfig, request: InstallRequest, progress: Progress): Promise<InstallResult> {
  const { command } = request;
  if (!existsSync(join(config.prefix, 'package.json')) && (command !== 'install' || request.packages.length === 0)) {
    throw new NpmUsageError(`no package.json in ${config.prefix}`);
  }
  if (command === 'ci' && !lockfilePresent(config.prefix)) {
    throw new NpmUsageError('`tufpm-npm ci` needs an existing package-lock.json or npm-shrinkwrap.json; run `tufpm-npm install` first');
  }
  // npm 11 hands Arborist the root package.json's allowScripts for every tree command (red team F4).
  const options: ArboristOptions = { ...arboristOptions(config), allowScripts: await projectAllowScripts(config.prefix) };
  const perCommand = await commandOptions(config, request);
  // Refresh TUF first: a frozen or rolled-back repository is refused before any package data is fetched.
  const verifier = await openVerifier(config, progress);
  progress.done();
  if (verifier.summary().pinned === null) {
    // ADR 0015: a frozen install without pins is refused (a pull request deleting tufpm-lock.json would
    // otherwise switch the floors off silently); any other install says so and writes them at its end.
    if (command === 'ci') {
      await verifier.close();
      throw pinsMissingError(verifier.lockfilePath, 'tufpm-npm ci');
    }
    process.stderr.write(`tufpm-npm WARN ${pinsMissingWarning(verifier.lockfilePath)}\n`);
  }

  const arb = new Arborist({ ...options, ...perCommand });
  const virtual = command === 'ci' ? await new Arborist({ ...options, ...perCommand }).loadVirtual() : undefined;
  const before = options['before'] instanceof Date ? options['before'] : undefined;
  const tree = await withReleaseListGuard(verifier, () => arb.buildIdealTree(perCommand), before === undefined ? {} : { before });
  if (virtual !== undefined) {
    const errors = lockOutOfSync(virtual, tree);
    if (errors.length > 0) {
      throw new NpmUsageError(`package.json and package-lock.json are out of sync; run \`tufpm-npm install\`:\n${errors.join('\n')}`);
    }
  }

  const result: TreeVerifyResult = await verifyTree(tree, verifier, treeVerifyOptions(config, command === 'ci' ? 'ci' : 'install', progress));
  progress.done();
  if (result.failures.length > 0) {
    throw result.failures.length === 1 ? result.failures[0]! : new VerificationFailures(result.failures);
  }

  if (command === 'ci') {
    // ADR 0015: a frozen install never moves the pins, so it must not install what they do not list (a
    // pull request that edits only package-lock.json would add or downgrade packages no review of
    // tufpm-lock.json shows). Checked after verification, so an attack is reported by its own code first.
    const unpinned = [...result.signed.keys()].filter((key) => !verifier.isPinnedKey(key)).sort();
    if (unpinned.length > 0) {
      await verifier.close();
      throw pinsStaleError(verifier.lockfilePath, 'tufpm-npm ci', unpinned, 'tufpm-npm install');
    }
  }
  const warnings = [...checkSignedEngines(result.signed.values(), options['engineStrict'] === true), ...workspacePolicyWarnings(tree.inventory.values())];

  refuseUnverifiedExtractions(arb, result.extractable);
  checkEntriesBeforeExtraction(arb, verifier, result.signed.values(), config.registry);
  let failedNode: ArboristNode | undefined;
  failOnOptionalIntegrityErrors(arb, (node) => {
    failedNode ??= node as ArboristNode;
  });
  // reify (and prune, which prunes the ideal tree built above, then reifies) reuse the tree just verified:
  // Arborist builds an ideal tree once per instance. install writes package.json and package-lock.json only
  // after every node reified, which Arborist does as its very last step.
  const reifyOptions = { ...options, ...perCommand };
  const reify = (): Promise<ArboristTree> => (command === 'prune' ? arb.prune(reifyOptions) : arb.reify(reifyOptions));
  try {
    await (command === 'ci' && !config.dryRun ? withCleanNodeModules(config.prefix, reify) : reify());
  } catch (error) {
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'EINTEGRITY' && failedNode) {
      throw integrityFailure(failedNode, result.signed, error);
    }
    throw error;
  }

  // Pins move forward only now that the signed state verified and the tree is installed, and only when the
  // lockfile they describe was written. `ci` is a frozen install (like npm ci, which never writes
  // package-lock.json): it checks against the pins, never moves them; --dry-run and --no-save write nothing.
  // (Arborist writes package-lock.json for update and dedupe even without save, as npm 7+ does.)
  const writesLock = perCommand['save'] !== false || command === 'update' || command === 'dedupe';
  const pinsMoved = command !== 'ci' && !config.dryRun && writesLock && config.flat['packageLock'] !== false;
  if (pinsMoved) await verifier.commit(result.signed.keys());
  else await verifier.saveMachineCache();
  return {
    command,
    verified: [...result.signed.values()],
    exempt: result.exempt,
    unsafeAllowed: result.unsafeAllowed,
    integrityReplaced: result.integrityReplaced,
    summary: verifier.summary(),
    pinsMoved,
    warnings,
    checksFromRecords: result.checksFromRecords,
  };
}
