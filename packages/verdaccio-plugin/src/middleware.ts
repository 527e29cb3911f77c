import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TufError } from '@tufpm/models';
import { Observations, RegistryError, answerObservation, isValidPackageName, readRequestBody, resolveMerkleFile, resolveMetadataFile } from '@tufpm/registry';
import { createMaintainerPublishHook, createMaintainerRoutes, readNewestRoot, snapshotProfileOf, startExpiryRenewer } from '@tufpm/repo';
import { parsePluginConfig, PluginConfigError, type TufpmPluginConfig } from './config.js';
import { carriesTarball, handlePublish, type PublishContext } from './publish.js';
import { guardedChange, refuseSignedPackageRemoval, refuseSignedRemovalByChange, refuseSignedTarballRemoval, type RemovalContext } from './removal.js';
import { SignedReleaseLists } from './signed-lists.js';
import { sendError, sendRefusal } from './respond.js';
import type { Middleware, PluginOptions, RemoteUser, VerdaccioAuth, VerdaccioRequest, VerdaccioStorage } from './verdaccio-types.js';

const METADATA = /^\/-\/tuf\/metadata\/([^/]+)$/;
// The Merkle snapshot profile's files (ADR 0021): merkle/<root>/<role>.proof.json, delta.json, auditors/<keyid>.json
const MERKLE = /^\/-\/tuf\/metadata\/merkle\/([^/]+)\/([^/]+(?:\/[^/]+)?)$/;
// `/<name>`, `/@scope%2fname` (npm) or `/@scope/name` (Yarn), optionally `/-rev/<rev>` (npm unpublish)
// Verdaccio's `PUT /:package/-/:filename/*` (a tarball alone)
const TARBALL_PUT = /^\/(?:@[^/%]+(?:\/|%2[fF]))?[^/@-][^/]*\/-\/[^/]+(?:\/.*)?$/;
const PACKAGE_PUT = /^\/((?:@[^/%]+(?:\/|%2[fF]))?[^/@-][^/]*)(?:\/-rev\/([^/]+))?$/;
// Verdaccio's `DELETE /:package/-rev/*` (the whole package) and `DELETE /:package/-/:filename/-rev/:revision` (a tarball)
const PACKAGE_DELETE = /^\/((?:@[^/%]+(?:\/|%2[fF]))?[^/@-][^/]*)\/-rev\/.+$/;
const TARBALL_DELETE = /^\/((?:@[^/%]+(?:\/|%2[fF]))?[^/@-][^/]*)\/-\/([^/]+)\/-rev\/[^/]+$/;

/** The path as Verdaccio routes a PUT: trailing slashes dropped (non-strict routing), a leading `%40` read as `@`. */
function routedPath(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return trimmed.replace(/^\/%40/i, '/@');
}

class ForbiddenError extends TufError {
  constructor(readonly status: number, message: string) {
    super(status === 401 ? 'REGISTRY_UNAUTHORIZED' : 'REGISTRY_FORBIDDEN', message);
  }
}

function allowPublish(auth: VerdaccioAuth, name: string, user: RemoteUser | undefined, action: 'allow_publish' | 'allow_unpublish' = 'allow_publish'): Promise<{ ok: true } | { ok: false; status: number; message: string }> {
  return new Promise((resolve) => {
    auth[action]({ packageName: name }, user, (err, ok) => {
      if (err !== null && err !== undefined) resolve({ ok: false, status: typeof err.status === 'number' ? err.status : 403, message: err.message });
      else resolve(ok === true ? { ok: true } : { ok: false, status: 403, message: `not allowed to publish ${name}` });
    });
  });
}

async function mustExist(file: string, what: string): Promise<void> {
  try {
    await access(file);
  } catch (err) {
    throw new PluginConfigError(`${what} ${file} is missing (${(err as NodeJS.ErrnoException).code ?? String(err)}): see docs/verdaccio.md`);
  }
}

export interface TufpmMiddlewareHooks {
  /** outcome of each publish (tests, metrics) */
  onOutcome?: PublishContext['onOutcome'];
}

/**
 * The middleware Verdaccio mounts after its auth and before its npm API (see verdaccio.cjs):
 * - GET/HEAD `/-/tuf/metadata/<file>`: the TUF metadata, as tufpm-registry serves it, and in the Merkle
 *   snapshot profile `/-/tuf/metadata/merkle/<root>/...` (proofs, generated from the tree store on request);
 * - `/-/tufpm/...`: the maintainer routes (staged releases, claims, key changes, role refresh), allowed to
 *   whoever Verdaccio lets publish the package;
 * - GET `/-/tufpm/health` (JSON: each role's version and expiry, the earliest expiry, the last publish;
 *   503 once something expired) and `/-/tufpm/metrics` (Prometheus text);
 * - PUT of a package with a tarball: the publish rules (publish.ts). Other PUTs (deprecate, star,
 *   unpublish of a version) and Verdaccio's DELETEs (unpublish of a package or a tarball) go to Verdaccio
 *   unless they would remove a signed release (removal.ts); they never touch the signed metadata.
 */
export async function createTufpmMiddleware(raw: unknown, options: PluginOptions, auth: VerdaccioAuth, storage: VerdaccioStorage, hooks: TufpmMiddlewareHooks = {}): Promise<Middleware> {
  const config: TufpmPluginConfig = parsePluginConfig(raw, options);
  const metadataDir = join(config.dir, 'tuf', 'metadata');
  await mustExist(join(metadataDir, 'timestamp.json'), 'TUF metadata');
  await mustExist(join(config.keys, 'repo.json'), 'the keys directory');
  // The profile is root.json's (offline keys); the config says which one the operator set up, and a
  // mismatch (another directory, a root rotated back) stops the plugin instead of serving the other one.
  const profile = snapshotProfileOf((await readNewestRoot(metadataDir)).root.signed);
  if (profile !== config.snapshot) {
    throw new PluginConfigError(`middlewares.tufpm.snapshot is ${config.snapshot}, but the repository in ${metadataDir} is in the ${profile} snapshot profile (its root.json decides it: tufpm-repo init --snapshot ${config.snapshot} creates a repository in that profile; see docs/verdaccio.md)`);
  }
  const hook = createMaintainerPublishHook({ keysDir: config.keys, metadataDir });
  const routes = createMaintainerRoutes({
    registryDir: config.dir,
    keysDir: config.keys,
    metadataDir,
    claimRequests: config.claimRequests,
    authorize: async (req, name) => {
      const user = (req as VerdaccioRequest).remote_user;
      const allowed = await allowPublish(auth, name, user);
      if (!allowed.ok) throw new ForbiddenError(allowed.status, allowed.message);
      return user?.name ?? 'anonymous';
    },
  });
  const obs = new Observations();
  const removal: RemovalContext = { lists: new SignedReleaseLists(metadataDir), storage, logger: options.logger, storeTimeoutMs: config.storeTimeoutMs };
  const ctx: PublishContext = {
    dir: config.dir, hook, storage, logger: options.logger, storeTimeoutMs: config.storeTimeoutMs,
    onOutcome: (o) => {
      obs.publish(o);
      hooks.onOutcome?.(o);
    },
  };
  if (config.renew) {
    await startExpiryRenewer({
      dir: metadataDir,
      keysDir: config.keys,
      onRenew: (r) => {
        obs.renewed();
        options.logger.info({ role: r.role, expires: r.expires['timestamp'] }, 'tufpm: renewed @{role}; timestamp now expires @{expires}');
      },
      onError: (err) => options.logger.error({ err: (err as Error).message }, 'tufpm: renewing the timestamp failed (retried): @{err}'),
    });
  }

  options.logger.info({ dir: config.dir }, 'tufpm: serving TUF metadata from @{dir} and signing publishes');

  async function serveMetadata(req: VerdaccioRequest, res: ServerResponse, segment: string): Promise<void> {
    obs.metadataRequest();
    const found = await resolveMetadataFile(metadataDir, segment);
    if (found === undefined) return sendError(res, 404, 'metadata not found', 'REGISTRY_NOT_FOUND');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': found.size, 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    try {
      await pipeline(createReadStream(found.file), res);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    }
  }

  /** merkle/<root>/...: immutable per root (the root is in the URL), so cacheable forever, as tufpm-registry serves them. */
  async function serveMerkle(req: VerdaccioRequest, res: ServerResponse, root: string, rest: string[]): Promise<void> {
    obs.metadataRequest();
    const bytes = config.snapshot === 'merkle' ? await resolveMerkleFile(metadataDir, root, rest) : undefined;
    if (bytes === undefined) return sendError(res, 404, 'merkle file not found', 'REGISTRY_NOT_FOUND');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length, 'cache-control': 'public, max-age=31536000, immutable' });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  async function handle(req: VerdaccioRequest, res: ServerResponse, next: (err?: unknown) => void): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const merkle = MERKLE.exec(path);
    if (merkle !== null) {
      if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'method not allowed', 'REGISTRY_METHOD_NOT_ALLOWED');
      return serveMerkle(req, res, merkle[1]!, merkle[2]!.split('/'));
    }
    const meta = METADATA.exec(path);
    if (meta !== null) {
      if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'method not allowed', 'REGISTRY_METHOD_NOT_ALLOWED');
      return serveMetadata(req, res, meta[1]!);
    }
    if ((path === '/-/tufpm/health' || path === '/-/tufpm/metrics') && (method === 'GET' || method === 'HEAD')) {
      return answerObservation(res, path === '/-/tufpm/health' ? 'health' : 'metrics', metadataDir, obs, config.renew);
    }
    if (path.startsWith('/-/tufpm/')) {
      req.pause();
      if (await routes(req, res)) return;
      req.resume();
      return next();
    }
    // Verdaccio's router (Express, non-strict) also takes a trailing slash and a percent-encoded `@`: match
    // the path it routes, and refuse (fail closed) any other PUT outside `/-/` rather than hand on a publish
    // route this plugin did not recognise (`PUT /claimed-pkg/` once stored a release outside the rules).
    const routed = method === 'PUT' ? routedPath(path) : path;
    if (method === 'PUT' && TARBALL_PUT.test(routed)) {
      // Verdaccio's legacy tarball upload stores bytes outside any publish document, so outside the rules.
      return sendError(res, 405, 'tarballs are published inside the publish document (npm publish), not uploaded alone', 'REGISTRY_METHOD_NOT_ALLOWED');
    }
    if (method === 'DELETE' && !path.startsWith('/-/')) return handleDelete(req, res, next, routedPath(path));
    const put = method === 'PUT' ? PACKAGE_PUT.exec(routed) : null;
    if (put === null) {
      if (method === 'PUT' && !path.startsWith('/-/')) return sendError(res, 405, `PUT ${path.slice(0, 200)} is not a publish route this registry recognises`, 'REGISTRY_METHOD_NOT_ALLOWED');
      return next();
    }
    let name: string;
    try {
      name = decodeURIComponent(put[1]!);
    } catch (err) {
      if (err instanceof URIError) return next();
      throw err;
    }
    if (!isValidPackageName(name)) return next();
    // Verdaccio's request log reads the body in flowing mode: pause it across our awaits (as Verdaccio's
    // own permission check does) and resume it before handing on, or the body would be lost.
    req.pause();
    // Verdaccio's own `can('publish')` answers whoever may not publish: refuse nothing, read nothing.
    if (!(await allowPublish(auth, name, req.remote_user)).ok) {
      req.resume();
      return next();
    }
    let doc: unknown;
    try {
      req.resume(); // its data listener is attached in this same tick: no chunk is missed
      const body = await readRequestBody(req, config.maxBodyBytes);
      try {
        doc = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new RegistryError('REGISTRY_BAD_REQUEST', 'publish body is not JSON', { cause: err });
      }
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      sendRefusal(res, err);
      if (!req.complete) res.on('finish', () => req.destroy());
      return;
    }
    if (!carriesTarball(doc)) {
      // deprecate / star / unpublish of a version: Verdaccio's (body-parser skips a read body), unless it
      // would remove a signed version (removal.ts)
      req.body = doc;
      req._body = true;
      return guardedChange(req, res, next, name, removal, (local) => refuseSignedRemovalByChange(removal.lists, name, doc, local));
    }
    req._body = true;
    return handlePublish(req, res, next, name, doc as Record<string, unknown>, put[2] !== undefined, ctx);
  }

  /** Verdaccio's unpublish of a package or of a tarball: refused for signed releases (removal.ts). */
  async function handleDelete(req: VerdaccioRequest, res: ServerResponse, next: (err?: unknown) => void, routed: string): Promise<void> {
    const tarball = TARBALL_DELETE.exec(routed);
    const whole = tarball === null ? PACKAGE_DELETE.exec(routed) : null;
    const m = tarball ?? whole;
    if (m === null) return sendError(res, 405, `DELETE ${routed.slice(0, 200)} is not a route this registry recognises`, 'REGISTRY_METHOD_NOT_ALLOWED');
    let name: string;
    let file: string | undefined;
    try {
      name = decodeURIComponent(m[1]!);
      file = tarball === null ? undefined : decodeURIComponent(tarball[2]!);
    } catch (err) {
      if (err instanceof URIError) return next();
      throw err;
    }
    if (!isValidPackageName(name)) return next();
    req.pause();
    // Verdaccio's own `can('unpublish')` answers whoever may not unpublish: refuse nothing.
    if (!(await allowPublish(auth, name, req.remote_user, 'allow_unpublish')).ok) {
      req.resume();
      return next();
    }
    req.resume();
    return guardedChange(req, res, next, name, removal, () => (file === undefined ? refuseSignedPackageRemoval(removal.lists, name) : refuseSignedTarballRemoval(removal.lists, name, file)));
  }

  return (req, res, next) => {
    handle(req, res, next).catch((err: unknown) => {
      options.logger.error({ err: (err as Error).stack ?? String(err) }, 'tufpm: @{err}');
      sendError(res, 500, 'internal error in verdaccio-tufpm');
    });
  };
}
