import type Arborist from '@npmcli/arborist';
import type { ArboristNode } from '@npmcli/arborist';
import { TufError } from '@tufpm/models';
import { NpmVerifyError } from './errors.js';

/**
 * Arborist swallows every failure of an optional dependency during reify (the node is dropped and the
 * install "succeeds"), including pacote's EINTEGRITY. For us an integrity failure is an attack, not a
 * missing optional feature, so it must fail the whole reify and trigger Arborist's rollback.
 *
 * Arborist 9.9.x routes every extraction through `this[Symbol.for('handleOptionalFailure')](node, p)`
 * (a shared symbol it exposes for exactly this kind of substitution). We wrap it: Arborist still does its
 * bookkeeping for the optional set, then the integrity error is rethrown. Measured in
 * docs/adr/0003-npm-integration.md; if a future Arborist drops the symbol we refuse to run rather than
 * install with the hole open.
 */
const HANDLE_OPTIONAL_FAILURE = Symbol.for('handleOptionalFailure');
const REIFY_NODE = Symbol.for('reifyNode');

type OptionalHandler = (node: unknown, p: Promise<unknown>) => Promise<unknown>;

export class UnsupportedArboristError extends TufError {
  constructor(message: string) {
    super('TUF_NPM_UNSUPPORTED_ARBORIST', message);
  }
}

/** Also reports which node failed its integrity check (pacote's error does not say), for every node. */
export function failOnOptionalIntegrityErrors(arb: Arborist, onIntegrityError?: (node: unknown, error: Error) => void): void {
  const original = arb[HANDLE_OPTIONAL_FAILURE];
  if (typeof original !== 'function') {
    throw new UnsupportedArboristError('this @npmcli/arborist has no handleOptionalFailure hook; tufpm-npm needs 9.9.x');
  }
  const bound = (original as OptionalHandler).bind(arb);
  arb[HANDLE_OPTIONAL_FAILURE] = (node: unknown, p: Promise<unknown>): Promise<unknown> => {
    let integrityError: Error | undefined;
    const tracked = p.catch((error: unknown) => {
      if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'EINTEGRITY') {
        integrityError = error;
        onIntegrityError?.(node, error);
      }
      throw error;
    });
    return bound(node, tracked).then((value) => {
      if (integrityError) throw integrityError;
      return value;
    });
  };
}

/**
 * Every node Arborist extracts must be one whose bytes we bound to a signed target (or one an unsafe
 * setting let through). Arborist can extract nodes we never saw as registry nodes: a dependency listed as
 * bundled but missing from its bundler's tarball is fetched on its own (`bundleMissing`), by `resolved` or
 * by `name@version` with whatever integrity the lockfile gives, possibly none. Reify passes each node to
 * `this[Symbol.for('reifyNode')](node)`; we refuse the unknown ones there, which fails the reify and
 * runs Arborist's rollback.
 */
export function refuseUnverifiedExtractions(arb: Arborist, allowed: ReadonlySet<ArboristNode>): void {
  const original = arb[REIFY_NODE];
  if (typeof original !== 'function') {
    throw new UnsupportedArboristError('this @npmcli/arborist has no reifyNode hook; tufpm-npm needs 9.9.x');
  }
  const bound = (original as (node: ArboristNode) => Promise<unknown>).bind(arb);
  arb[REIFY_NODE] = (node: ArboristNode): Promise<unknown> => {
    if (!node.isLink && !allowed.has(node)) {
      return Promise.reject(
        new NpmVerifyError('TUF_UNSAFE_SOURCE', `${node.packageName}@${node.version} (${node.location}) was about to be installed without being verified (a bundled dependency missing from its bundler's signed tarball?)`, {
          packageName: node.packageName,
          version: node.version,
          attack: 'extraneous dependency smuggled through the lockfile',
          recovery: 'restore package-lock.json from version control, or run `tufpm-npm install` to rebuild it',
        }),
      );
    }
    return bound(node);
  };
}
