import type Arborist from '@npmcli/arborist';
import type { ArboristNode } from '@npmcli/arborist';
import pacote from 'pacote';
import type { InstallVerifier, SignedTarget } from '@tufpm/verify';
import { UnsupportedArboristError } from './reify-guard.js';

const REIFY_NODE = Symbol.for('reifyNode');
const HANDLE_OPTIONAL_FAILURE = Symbol.for('handleOptionalFailure');

type OptionalHandler = (node: ArboristNode, p: Promise<unknown>) => Promise<unknown>;

/**
 * One manifest at install time. tufpm-npm never holds a tarball's bytes: pacote fetches each one and checks
 * it against `integrity`, which tree-verify set to the signed sha512, while node-tar extracts it. So just
 * before Arborist reifies a registry node, the same tarball is read through pacote with the same
 * `resolved` and `integrity` (cacache is content-addressed by that integrity, so the extraction that follows
 * reads these very bytes; a cold install downloads once and the extraction hits the cache) and its entries
 * pass the shared entry-path rules (@tufpm/verify checkTarballEntries): a signed tarball hiding a second
 * package.json (`package/./package.json`), a link or an entry outside `package/` fails the reify, and
 * Arborist rolls back. Bundled dependencies come inside their bundler's tarball, whose entries this walks.
 */
export function checkEntriesBeforeExtraction(arb: Arborist, verifier: InstallVerifier, signed: Iterable<SignedTarget>, registry: string): void {
  const byUrl = new Map<string, SignedTarget>();
  for (const target of signed) byUrl.set(new URL(target.targetPath, registry).href, target);
  const original = arb[REIFY_NODE];
  if (typeof original !== 'function') {
    throw new UnsupportedArboristError('this @npmcli/arborist has no reifyNode hook; tufpm-npm needs 9.9.x');
  }
  const bound = (original as (node: ArboristNode) => Promise<unknown>).bind(arb);
  arb[REIFY_NODE] = async (node: ArboristNode): Promise<unknown> => {
    const target = node.isLink || node.resolved == null ? undefined : byUrl.get(node.resolved);
    // A tarball with this signed sha512 already passed on this machine (a sealed record): the bytes Arborist
    // extracts are checked against that sha512, so they pass again; a warm install skips the second read.
    if (target !== undefined && !verifier.tarballEntriesChecked(target)) {
      let bytes: Buffer;
      try {
        // The options Arborist's own pacote.extract call gets (reify: `{ ...this.options, resolved, integrity }`).
        bytes = await pacote.tarball(node.resolved!, { ...arb.options, resolved: node.resolved, integrity: node.integrity ?? target.integrity, allowRemote: 'all' });
      } catch (error) {
        // A failed fetch takes Arborist's own path, as if the extraction had failed: a non-optional node fails
        // the reify, an optional one is dropped (never extracted unchecked), and EINTEGRITY is named by
        // failOnOptionalIntegrityErrors, which wraps this handler.
        const handle = arb[HANDLE_OPTIONAL_FAILURE] as OptionalHandler;
        return handle.call(arb, node, Promise.reject(error));
      }
      // A refusal is never an optional node's failure: it fails the whole reify, which Arborist rolls back.
      await verifier.checkTarballEntriesOnce(target, bytes);
    }
    return bound(node);
  };
}
