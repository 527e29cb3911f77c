// ADR 0013 for npm: Arborist resolves ranges and dist-tags through pacote's RegistryFetcher, which reads
// the packument (from the network, npm's HTTP cache, or the packument cache Arborist shares). Every
// packument pacote hands to a resolver passes through `packument()`, so that is where it is compared with
// the package's signed release list, before pickManifest chooses from it. Frozen installs (`ci`, or a
// package-lock.json that resolves everything) fetch no packument, so they pay nothing.
import { createRequire } from 'node:module';
import type { InstallVerifier } from '@tufpm/verify';
import { normalizeRegistry } from './config.js';
import { NpmUsageError, NpmVerifyError } from './errors.js';

interface RegistryFetcherLike {
  registry: string;
  /** npm-package-arg's result: `type` 'version' with `fetchSpec` '1.2.3' for an exact ask */
  spec: { name?: string | null; type?: string; fetchSpec?: string | null };
}

/**
 * Upper bound on one packument body. pacote reads a packument whole (`res.json()`) with no limit of its own:
 * an endless or oversized body from the registry, a mirror or the network grew tufpm-npm to 3.5 GB in 20 s.
 * The read stops once this many bytes arrived (boundedPackument). The largest abbreviated
 * packuments on the public registry are a few MB; a tufpm registry serves the same shape.
 */
export const MAX_PACKUMENT_BYTES = 32 * 1024 * 1024;

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

/** The registry URL as config.ts normalises it (WHATWG URL: `HTTP://127.1:080/x/../` is `http://127.0.0.1:80/`). */
function normalized(url: string): string | undefined {
  try {
    return normalizeRegistry(url);
  } catch (error) {
    if (error instanceof NpmUsageError) return undefined;
    throw error;
  }
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
    const doc = await boundedPackument(this, original);
    const name = this.spec.name;
    // Fail closed: config.ts refused every scoped registry but ours, so a packument from any other one is
    // unexpected; comparing raw spellings instead once let `@acme:registry=HTTP://...` (ours, respelled)
    // skip the release-list check.
    if (normalized(this.registry) !== normalizeRegistry(verifier.registryUrl)) {
      throw new NpmUsageError(`the packument of ${String(name)} was requested from ${JSON.stringify(this.registry)}, not the registry whose TUF metadata this project trusts (${verifier.registryUrl}); check the project's registry settings`, { code: 'TUF_NPM_SCOPED_REGISTRY' });
    }
    if (typeof name === 'string' && typeof doc === 'object' && doc !== null && !checked.has(doc)) {
      await verifier.checkReleaseList(name, doc);
      if (opts.before !== undefined) excludeVersionsWithoutTime(doc as Record<string, unknown>);
      checked.add(doc);
    }
    // ADR 0017: `install pkg@1.2.3` of a version the reviewers did not approve says so (the packument the
    // resolver sees has no such version: it would say ETARGET). Per spec, not per packument.
    if (typeof name === 'string' && this.spec.type === 'version' && typeof this.spec.fetchSpec === 'string') {
      const unapproved = await verifier.unapprovedExactVersion(name, this.spec.fetchSpec);
      if (unapproved !== undefined) throw unapproved;
    }
    return doc;
  };
  const unbind = boundJson(pacotesResponse());
  try {
    return await run();
  } finally {
    Fetcher.prototype.packument = original;
    unbind();
  }
}

interface ResponseLike {
  url?: string;
  body: unknown;
}

interface ResponseClass {
  prototype: { json: (this: ResponseLike) => Promise<unknown> };
}

/** minipass-fetch's Response as pacote's npm-registry-fetch / make-fetch-happen load it (not a second copy). */
function pacotesResponse(): ResponseClass {
  const requireHere = createRequire(import.meta.url);
  let from = requireHere.resolve('@npmcli/arborist');
  for (const hop of ['pacote', 'npm-registry-fetch', 'make-fetch-happen']) from = createRequire(from).resolve(hop);
  const Response = (createRequire(from)('minipass-fetch') as { Response?: ResponseClass }).Response;
  if (typeof Response?.prototype?.json !== 'function') {
    throw new Error('minipass-fetch does not export Response.prototype.json: this npm-registry-fetch is not supported by tufpm-npm');
  }
  return Response;
}

class PackumentTooLarge extends Error {}

/**
 * pacote's packument read (`res.json()`), for the guard's duration, with a byte bound: npm-registry-fetch passes no size limit down
 * (its option list drops `size`, and minipass-fetch's `size` means an exact length anyway), so the body
 * is read here, counting, and the stream destroyed past the bound.
 */
function boundJson(Response: ResponseClass): () => void {
  const json = Response.prototype.json;
  Response.prototype.json = async function boundedJson(this: ResponseLike): Promise<unknown> {
    const body = this.body as (AsyncIterable<Buffer> & { destroy?: () => void }) | null;
    if (body === null || typeof body !== 'object' || !(Symbol.asyncIterator in body)) return json.call(this);
    const url = this.url ?? 'the registry';
    const chunks: Buffer[] = [];
    let total = 0;
    // pulled, not flowing: a 'data' listener let make-fetch-happen's cache pipeline buffer 2.6 GB in 20 s
    for await (const chunk of body) {
      total += chunk.length;
      if (total > MAX_PACKUMENT_BYTES) {
        body.destroy?.();
        throw new PackumentTooLarge(`more than ${MAX_PACKUMENT_BYTES} bytes received from ${url}`);
      }
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      // as minipass-fetch words it (a body cut short with a matching Content-Length ends here)
      throw Object.assign(new Error(`invalid json response body at ${url} reason: ${(error as Error).message}`), { code: 'FETCH_ERROR', type: 'invalid-json' });
    }
  };
  return () => {
    Response.prototype.json = json;
  };
}

async function boundedPackument(fetcher: RegistryFetcherLike, original: PackumentFn): Promise<unknown> {
  try {
    return await original.call(fetcher);
  } catch (error) {
    if (!(error instanceof PackumentTooLarge)) throw error;
    throw new NpmVerifyError('TUF_PACKUMENT_TOO_LARGE', `${fetcher.spec.name ?? 'a package'}: the packument is larger than ${MAX_PACKUMENT_BYTES} bytes (${error.message})`, {
      ...(typeof fetcher.spec.name === 'string' ? { packageName: fetcher.spec.name } : {}),
      attack: 'endless data (a packument above the size bound), or a broken registry or network',
      recovery: 'nothing was installed or cached; retry, and report the registry or mirror that serves it',
      cause: error,
    });
  }
}
