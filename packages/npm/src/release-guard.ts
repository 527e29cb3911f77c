// ADR 0013 for npm: Arborist resolves ranges and dist-tags through pacote's RegistryFetcher, which reads
// the packument (from the network, npm's HTTP cache, or the packument cache Arborist shares). Every
// packument pacote hands to a resolver passes through `packument()`, so that is where it is compared with
// the package's signed release list, before pickManifest chooses from it. Frozen installs (`ci`, or a
// package-lock.json that resolves everything) fetch no packument, so they pay nothing.
import { createRequire } from 'node:module';
import type { InstallVerifier } from '@tufpm/verify';

interface RegistryFetcherLike {
  registry: string;
  spec: { name?: string | null };
}

type PackumentFn = (this: RegistryFetcherLike) => Promise<unknown>;

interface RegistryFetcherClass {
  prototype: { packument: PackumentFn };
}

/** The RegistryFetcher class of the pacote that Arborist itself loads (not a second copy). */
function arboristsRegistryFetcher(): RegistryFetcherClass {
  const requireHere = createRequire(import.meta.url);
  const requireFromArborist = createRequire(requireHere.resolve('@npmcli/arborist'));
  const pacote = requireFromArborist('pacote') as { RegistryFetcher?: RegistryFetcherClass };
  if (typeof pacote.RegistryFetcher?.prototype?.packument !== 'function') {
    throw new Error('pacote does not export RegistryFetcher.prototype.packument: this pacote version is not supported by tufpm-npm');
  }
  return pacote.RegistryFetcher;
}

function sameRegistry(a: string, b: string): boolean {
  const norm = (u: string): string => (u.endsWith('/') ? u : `${u}/`);
  return norm(a) === norm(b);
}

/**
 * Installs the check for the duration of `run` (one install). A packument object is checked once; pacote
 * serves later requests for the same package from its cache and the verifier keeps the signed list.
 */
export async function withReleaseListGuard<T>(verifier: InstallVerifier, run: () => Promise<T>): Promise<T> {
  const Fetcher = arboristsRegistryFetcher();
  const original = Fetcher.prototype.packument;
  const checked = new WeakSet<object>();
  Fetcher.prototype.packument = async function packument(this: RegistryFetcherLike): Promise<unknown> {
    const doc = await original.call(this);
    const name = this.spec.name;
    // Only the registry our TUF repository covers; a package of another registry is refused by verifyTree.
    if (typeof name === 'string' && sameRegistry(this.registry, verifier.registryUrl) && typeof doc === 'object' && doc !== null && !checked.has(doc)) {
      await verifier.checkReleaseList(name, doc);
      checked.add(doc);
    }
    return doc;
  };
  try {
    return await run();
  } finally {
    Fetcher.prototype.packument = original;
  }
}
