import { createHash } from 'node:crypto';
import { Metadata, parseJsonStrict, type Targets } from '@tufpm/models';
import type { PackageTarball } from '../tarball.js';
import { RegistryResponseError } from './errors.js';
import { TUFPM_FIELD } from './publish-hook.js';

const MAX_RESPONSE_BYTES = 300 * 1024 * 1024;

/** `@scope/name` -> `@scope%2fname`, the form npm puts in URLs. */
export function packageUrl(registryUrl: string, name: string): string {
  return `${registryUrl}${name.replace('/', '%2f')}`;
}

async function readBounded(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw new RegistryResponseError(`response of ${declared} bytes exceeds ${max}`, res.status, undefined);
  if (res.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > max) throw new RegistryResponseError(`response exceeds ${max} bytes`, res.status, undefined);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

async function errorOf(res: Response, what: string): Promise<RegistryResponseError> {
  let message = `${what}: HTTP ${res.status}`;
  let code: string | undefined;
  try {
    const body = JSON.parse(Buffer.from(await readBounded(res, 1024 * 1024)).toString('utf8')) as { error?: unknown; code?: unknown };
    if (typeof body.error === 'string') message = `${what}: ${body.error}`;
    if (typeof body.code === 'string') code = body.code;
  } catch (err) {
    if (!(err instanceof SyntaxError) && !(err instanceof RegistryResponseError)) throw err;
  }
  return new RegistryResponseError(message, res.status, code);
}

function headers(token: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), 'user-agent': 'tufpm (maintainer CLI)' };
}

export interface PublishReleaseOptions {
  registryUrl: string;
  token: string | undefined;
  tarball: Uint8Array;
  pkg: PackageTarball;
  /** the maintainer-signed role; omitted for an unclaimed package (the registry signs it) */
  role?: Metadata<Targets>;
  tag?: string;
}

export interface PublishReleaseResult {
  outcome: 'published' | 'staged';
  message: string;
}

/**
 * `npm publish`'s request (libnpmpublish's document: one version, one base64 attachment) with the signed
 * role added as `_tufpm.role`. The version manifest is the tarball's own package.json, as the registry
 * rebuilds it from the tarball anyway.
 */
export async function publishRelease(o: PublishReleaseOptions): Promise<PublishReleaseResult> {
  const { name, version } = o.pkg;
  const manifest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o.pkg.manifest)) if (!k.startsWith('_')) manifest[k] = v;
  const buf = Buffer.from(o.tarball);
  manifest['_id'] = `${name}@${version}`;
  manifest['dist'] = {
    integrity: `sha512-${createHash('sha512').update(buf).digest('base64')}`,
    shasum: createHash('sha1').update(buf).digest('hex'),
    tarball: `${packageUrl(o.registryUrl, name)}/-/${o.pkg.targetPath.slice(o.pkg.targetPath.lastIndexOf('/') + 1)}`,
  };
  const doc: Record<string, unknown> = {
    _id: name,
    name,
    'dist-tags': { [o.tag ?? 'latest']: version },
    versions: { [version]: manifest },
    access: null,
    _attachments: { [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: buf.toString('base64'), length: buf.length } },
  };
  if (o.role !== undefined) doc[TUFPM_FIELD] = { role: o.role.toJSON() };
  const res = await fetch(packageUrl(o.registryUrl, name), {
    method: 'PUT',
    headers: headers(o.token, { 'content-type': 'application/json', 'npm-command': 'publish' }),
    body: JSON.stringify(doc),
  });
  if (res.ok) {
    await readBounded(res, 1024 * 1024);
    return { outcome: 'published', message: `published ${name}@${version}` };
  }
  const err = await errorOf(res, `publish ${name}@${version}`);
  // A staged release is not a failure: the registry keeps it until co-signatures complete it.
  if (err.remoteCode === 'TUF_RELEASE_STAGED') return { outcome: 'staged', message: err.message.replace(/^publish [^:]+: /, '') };
  throw err;
}

export interface RemoteStaged {
  name: string;
  version: string;
  roleVersion: number;
  tarballPath: string;
  role: Metadata<Targets>;
  tarball: Uint8Array;
}

/** The staged release of a package (maintainers only: the package's publish token), or undefined. */
export async function fetchStaged(registryUrl: string, token: string | undefined, name: string): Promise<RemoteStaged | undefined> {
  const res = await fetch(`${registryUrl}-/tufpm/staged/${encodeURIComponent(name)}`, { headers: headers(token, { accept: 'application/json' }) });
  if (res.status === 404) {
    await readBounded(res, 1024 * 1024);
    return undefined;
  }
  if (!res.ok) throw await errorOf(res, `staged release of ${name}`);
  const obj = parseJsonStrict(await readBounded(res, MAX_RESPONSE_BYTES), MAX_RESPONSE_BYTES) as Record<string, unknown>;
  if (obj['name'] !== name || typeof obj['version'] !== 'string' || typeof obj['roleVersion'] !== 'number' || typeof obj['tarball'] !== 'string' || typeof obj['tarballPath'] !== 'string') {
    throw new RegistryResponseError(`malformed staged release of ${name}`, res.status, undefined);
  }
  return {
    name, version: obj['version'], roleVersion: obj['roleVersion'], tarballPath: obj['tarballPath'],
    role: Metadata.fromJSON(obj['role'], 'targets'),
    tarball: new Uint8Array(Buffer.from(obj['tarball'], 'base64')),
  };
}

/** Sends a claim request to the registry (authenticated by the package's publish token). */
export async function submitClaim(registryUrl: string, token: string | undefined, name: string, request: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${registryUrl}-/tufpm/claims/${encodeURIComponent(name)}`, {
    method: 'PUT', headers: headers(token, { 'content-type': 'application/json' }), body: JSON.stringify(request),
  });
  if (!res.ok) throw await errorOf(res, `claim of ${name}`);
  const body = JSON.parse(Buffer.from(await readBounded(res, 1024 * 1024)).toString('utf8')) as { message?: unknown };
  return typeof body.message === 'string' ? body.message : `claim request for ${name} submitted`;
}

/** Version numbers the registry's packument lists (unsigned: only a hint of what to look up through TUF). */
export async function fetchVersions(registryUrl: string, name: string): Promise<string[]> {
  const res = await fetch(packageUrl(registryUrl, name), { headers: headers(undefined, { accept: 'application/json' }) });
  if (res.status === 404) {
    await readBounded(res, 1024 * 1024);
    return [];
  }
  if (!res.ok) throw await errorOf(res, `packument of ${name}`);
  const doc = JSON.parse(Buffer.from(await readBounded(res, 64 * 1024 * 1024)).toString('utf8')) as { versions?: unknown };
  return typeof doc.versions === 'object' && doc.versions !== null ? Object.keys(doc.versions) : [];
}
