import type { ArboristNode, ArboristTree } from '@npmcli/arborist';
import { TufError } from '@tufpm/models';
import type { InstallVerifier, SignedTarget, TagEdge } from '@tufpm/verify';
import { NpmVerifyError, PackageContextError } from './errors.js';
import { checkEdgesFrom, checkIdentities } from './edge-check.js';
import { declaredDependencies, npmCheckInputs } from './check-inputs.js';
import { classifyNode, type NodeSource } from './sources.js';
import { declaredManifestFields } from './manifest-fields.js';

export type TreeCommand = 'install' | 'ci' | 'verify';

export interface TreeVerifyOptions {
  command: TreeCommand;
  registry: string;
  allowGit: boolean;
  allowFile: boolean;
  allowRemote: boolean;
  concurrency?: number;
  onProgress?: (done: number, total: number, name: string) => void;
}

export interface TreeVerifyResult {
  /** name@version -> signed target, for every registry node. */
  signed: Map<string, SignedTarget>;
  /** Registry nodes skipped because of tufpm-unsafe-unverified-packages. */
  exempt: string[];
  /** Non-registry nodes let through by an unsafe setting. */
  unsafeAllowed: string[];
  /** Nodes whose previous integrity (package-lock.json or packument) lacked the signed sha512. */
  integrityReplaced: Array<{ pkg: string; before: string | null }>;
  failures: TufError[];
  /** Nodes reify may extract: bound to their signed target, exempt, or let through by an unsafe setting. */
  extractable: Set<ArboristNode>;
  /** Registry nodes whose dependency, manifest-field and edge checks came from this machine's sealed records (ADR 0023). */
  checksFromRecords: number;
}

interface Pending {
  node: ArboristNode;
  name: string;
  version: string;
  /** ADR 0023: the digest of this node's per-package checks, once its target is resolved */
  record?: string;
  /** this machine sealed a pass of exactly these checks: they are skipped */
  fromRecord?: boolean;
  /** checkDependencies and checkManifestFields passed now (the edges are checked after every lookup) */
  checksPassed?: boolean;
}

/** The sha512 digests (base64) named by an SRI string such as `sha512-AAA== sha1-BBB=`. */
export function sha512Digests(integrity: string | null | undefined): string[] {
  if (!integrity) return [];
  return integrity
    .split(/\s+/)
    .filter((part) => part.startsWith('sha512-'))
    .map((part) => part.slice('sha512-'.length).split('?')[0]!);
}

function describe(node: ArboristNode): string {
  return node.version ? `${node.packageName}@${node.version}` : node.packageName || node.location;
}

function unsafeSourceError(node: ArboristNode, kind: string, spec: string): NpmVerifyError {
  const flag = kind === 'git' ? '--unsafe-allow-git' : kind === 'file' ? '--unsafe-allow-file' : '--unsafe-allow-remote';
  return new NpmVerifyError('TUF_UNSAFE_SOURCE', `${describe(node)} comes from a ${kind} source (${spec.slice(0, 200)}), which no TUF role signs`, {
    packageName: node.packageName,
    ...(node.version ? { version: node.version } : {}),
    attack: 'unverifiable dependency source (bytes signed by nobody)',
    recovery: `depend on a registry version instead, or accept the risk with ${flag} (tufpm-${flag.slice(2)}=true in .npmrc)`,
  });
}

function lockIntegrityError(pending: Pending, signed: SignedTarget, found: string): NpmVerifyError {
  return new NpmVerifyError(
    'TUF_LOCK_INTEGRITY',
    `${pending.name}@${pending.version}: package-lock.json integrity ${found.slice(0, 30)}... differs from the sha512 signed by role ${signed.role}`,
    {
      packageName: pending.name,
      version: pending.version,
      role: signed.role,
      attack: 'edited package-lock.json integrity (lockfile tampering)',
      recovery: 'restore package-lock.json from version control, or run `tufpm-npm install` to rewrite it from the signed hashes',
    },
  );
}

/**
 * Verifies every node of an Arborist tree against TUF and, for install/ci, binds each registry node to its
 * signed bytes: `integrity` becomes the signed sha512 (pacote then refuses any other bytes with EINTEGRITY,
 * including a poisoned cache entry, because cacache is keyed and checked by integrity) and `resolved`
 * becomes the target's URL on the configured registry. Nothing is written to disk here.
 */
export async function verifyTree(tree: ArboristTree, verifier: InstallVerifier, opts: TreeVerifyOptions): Promise<TreeVerifyResult> {
  const result: TreeVerifyResult = { signed: new Map(), exempt: [], unsafeAllowed: [], integrityReplaced: [], failures: [], extractable: new Set(), checksFromRecords: 0 };
  const pending: Pending[] = [];
  const sources = new Map<ArboristNode, NodeSource>();
  for (const node of tree.inventory.values()) if (!node.isProjectRoot) sources.set(node, classifyNode(node));
  const isRegistry = (node: ArboristNode): boolean => sources.get(node)?.kind === 'registry';
  // Identity first: a node is looked up under the name its edges ask for, so one whose manifest names another
  // package is refused here and never resolved, pinned or extracted (DESIGN §9).
  const identity = checkIdentities(sources.keys(), isRegistry);
  result.failures.push(...identity.failures);
  for (const [node, source] of sources) {
    switch (source.kind) {
      case 'registry':
        if (identity.refused.has(node)) break;
        if (verifier.isExempt(source.name)) {
          result.exempt.push(`${source.name}@${source.version}`);
          result.extractable.add(node);
        } else pending.push({ node, name: source.name, version: source.version });
        break;
      case 'git':
      case 'file':
      case 'remote': {
        const allowed = source.kind === 'git' ? opts.allowGit : source.kind === 'file' ? opts.allowFile : opts.allowRemote;
        if (allowed) {
          result.unsafeAllowed.push(`${describe(node)} (${source.spec.slice(0, 200)})`);
          result.extractable.add(node);
        } else result.failures.push(unsafeSourceError(node, source.kind, source.spec));
        break;
      }
      case 'workspace':
      case 'link-target':
        result.extractable.add(node); // the project's own code
        break;
      default:
        break; // bundled: comes inside its parent's signed tarball, never extracted on its own
    }
  }

  // One lookup per name@version (a version can sit at several places in node_modules), with bounded
  // concurrency, collecting every failure so one run names all of them.
  const byKey = new Map<string, Pending[]>();
  for (const item of pending) {
    const key = `${item.name}@${item.version}`;
    byKey.set(key, [...(byKey.get(key) ?? []), item]);
  }
  const groups = [...byKey.values()];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const group = groups[next++]!;
      const item = group[0]!;
      try {
        const signed = await verifier.resolve(item.name, item.version);
        result.signed.set(`${item.name}@${item.version}`, signed);
        // Each place the version sits at has its own manifest (package-lock.json lists one per location).
        // ADR 0023: a node whose signed facts and inputs passed these checks on this machine before skips them.
        for (const each of group) {
          each.record = verifier.packageChecksDigest(each.name, each.version, 'npm', npmCheckInputs(each.node, isRegistry));
          each.fromRecord = verifier.packageChecksPassed(each.record);
        }
        for (const each of group) if (!each.fromRecord) await verifier.checkDependencies(each.name, each.version, declaredDependencies(each.node));
        for (const each of group) if (!each.fromRecord) await verifier.checkManifestFields(each.name, each.version, declaredManifestFields(each.node));
        for (const each of group) each.checksPassed = true;
        for (const each of group) bindNode(each, signed, opts, result);
      } catch (error) {
        if (!(error instanceof TufError)) throw error;
        const named = (error as TufError & { packageName?: string }).packageName !== undefined;
        result.failures.push(named ? error : new PackageContextError(error, item.name, item.version));
      }
      done++;
      opts.onProgress?.(done, groups.length, item.name);
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency ?? 8, groups.length));
  await Promise.all(Array.from({ length: workers }, worker));
  // Every edge served by a registry node, against the range its (signed) declaring manifest states: the edges
  // of the root, workspaces and any node that is not a registry package on every install, those of a registry
  // node unless its record passed. A node whose three checks passed now, with no dist-tag edge (whose verdict
  // also depends on the signed release list), is recorded; records are sealed only when the install succeeds.
  const signedOf = (node: ArboristNode): SignedTarget | undefined => {
    const source = sources.get(node);
    return source?.kind === 'registry' ? result.signed.get(`${source.name}@${source.version}`) : undefined;
  };
  const byNode = new Map(pending.map((item) => [item.node, item]));
  const tagEdges: TagEdge[] = [];
  for (const from of tree.inventory.values()) {
    const item = byNode.get(from);
    if (item?.fromRecord === true && item.checksPassed === true) {
      result.checksFromRecords++;
      continue;
    }
    const tags = tagEdges.length;
    const failures = checkEdgesFrom(from, isRegistry, isRegistry(from) ? signedOf(from) : undefined, tagEdges);
    result.failures.push(...failures);
    if (item?.record !== undefined && item.checksPassed === true && failures.length === 0 && tagEdges.length === tags) verifier.recordPackageChecks(item.record);
  }
  // A tag edge (`foo@latest`) against the signed tags: frozen installs included (an edited lockfile).
  result.failures.push(...(await verifier.checkTagEdges(tagEdges)));
  return result;
}

function bindNode(item: Pending, signed: SignedTarget, opts: TreeVerifyOptions, result: TreeVerifyResult): void {
  const { node } = item;
  const before = node.integrity;
  const digests = sha512Digests(before);
  const signedDigest = sha512Digests(signed.integrity)[0];
  const matches = signedDigest !== undefined && digests.includes(signedDigest);
  const conflicting = digests.length > 0 && !matches;
  if (conflicting && opts.command !== 'install') {
    // ci and verify install exactly package-lock.json: a sha512 there that is not the signed one means
    // the lockfile was edited (or written from an unsigned packument); refuse rather than silently fix.
    result.failures.push(lockIntegrityError(item, signed, before ?? ''));
    return;
  }
  if (!matches) result.integrityReplaced.push({ pkg: `${item.name}@${item.version}`, before: before ?? null });
  if (opts.command === 'verify') return;
  result.extractable.add(node);
  // sha1-only and packument-provided integrities are replaced by the signed sha512 alone, so that pacote
  // checks exactly the signed digest (it accepts a tarball if any listed algorithm of the strongest kind matches).
  node.integrity = signed.integrity;
  node.resolved = new URL(signed.targetPath, opts.registry).href;
}
