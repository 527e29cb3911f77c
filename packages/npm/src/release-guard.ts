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

/** The pacote Arborist itself loads (not a second copy), whose RegistryFetcher the guard wraps. */
export function arboristsPacote(): { packument(spec: string, opts: Record<string, unknown>): Promise<unknown>; RegistryFetcher?: RegistryFetcherClass } {
  const requireHere = createRequire(import.meta.url);
  const requireFromArborist = createRequire(requireHere.resolve('@npmcli/arborist'));
  return requireFromArborist('pacote') as ReturnType<typeof arboristsPacote>;
}

function arboristsRegistryFetcher(): RegistryFetcherClass {
  const pacote = arboristsPacote();
  if (typeof pacote.RegistryFetcher?.prototype?.packument !== 'function') {
    throw new Error('pacote does not export RegistryFetcher.prototype.packument: this pacote version is not supported by tufpm-npm');
  }
  return pacote.RegistryFetcher;
}

function sameRegistry(a: string, b: string): boolean {
  const norm = (u: string): string => (u.endsWith('/') ? u : `${u}/`);
  return norm(a) === norm(b);
}

/** A date no version can be published on or before any `before` cutoff. */
const NEVER = '9999-12-31T23:59:59.999Z';

/**
 * `before` / `min-release-age` (npm's release-age gate) read each version's publish time from the packument's
 * `time`, which no TUF role signs. npm-pick-manifest lets a version through when its time is missing (or the
 * whole `time` map is): a registry that drops a time would lift the gate. Here a version without a valid
 * time counts as published never, so it is excluded, as npm excludes a too-new one. A registry can still
 * backdate a time (the version is still one of the package's signed versions) or postdate one (holding back
 * a release): publish times are unsigned (threat model, "release-age gate").
 */
function excludeVersionsWithoutTime(doc: Record<string, unknown>): void {
  const versions = doc['versions'];
  if (typeof versions !== 'object' || versions === null) return;
  const time = typeof doc['time'] === 'object' && doc['time'] !== null && !Array.isArray(doc['time']) ? (doc['time'] as Record<string, unknown>) : {};
  for (const version of Object.keys(versions)) {
    const t = time[version];
    if (typeof t !== 'string' || Number.isNaN(Date.parse(t))) time[version] = NEVER;
  }
  doc['time'] = time;
}

/**
 * Installs the check for the duration of `run` (one install). A packument object is checked once; pacote
 * serves later requests for the same package from its cache and the verifier keeps the signed list.
 */
export async function withReleaseListGuard<T>(verifier: InstallVerifier, run: () => Promise<T>, opts: { before?: Date } = {}): Promise<T> {
  const Fetcher = arboristsRegistryFetcher();
  const original = Fetcher.prototype.packument;
  const checked = new WeakSet<object>();
  Fetcher.prototype.packument = async function packument(this: RegistryFetcherLike): Promise<unknown> {
    const doc = await original.call(this);
    const name = this.spec.name;
    // Only the registry our TUF repository covers; a package of another registry is refused by verifyTree.
    if (typeof name === 'string' && sameRegistry(this.registry, verifier.registryUrl) && typeof doc === 'object' && doc !== null && !checked.has(doc)) {
      await verifier.checkReleaseList(name, doc);
      if (opts.before !== undefined) excludeVersionsWithoutTime(doc as Record<string, unknown>);
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
