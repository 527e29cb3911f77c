import { RegistryError } from './errors.js';
import type { PublishHook } from './hooks.js';
import { tarballDigests } from './integrity.js';
import { assertVersion, tarballFileName } from './names.js';
import { acceptVersion, type AddedVersion } from './store.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A body value for an error message: bounded, and never JSON.stringify of a nested value (a `name` nested
 * 20,000 arrays deep blew the stack: a RangeError and a 500 instead of REGISTRY_BAD_REQUEST; found by
 * fuzzing, issue 19).
 */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 214 ? `${v.slice(0, 214)}...` : v);
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function bad(message: string): RegistryError {
  return new RegistryError('REGISTRY_BAD_REQUEST', message);
}

export interface PublishContext {
  dir: string;
  name: string;
  user: string;
  hooks: PublishHook[];
  now: () => Date;
}

/** A publish body that passed parsePublishDocument. */
export interface ParsedPublish {
  name: string;
  version: string;
  tarball: Uint8Array;
  attachmentName: string;
  /** the dist-tags the body sets (`{ latest: version }` when it names none) */
  distTags: Record<string, string>;
  /** the body without attachment data: what publish hooks see (`_tufpm.role` of a maintainer release) */
  document: Record<string, unknown>;
}

/**
 * The rules for the body of `npm publish` (libnpmpublish): `{ _id, name, 'dist-tags': { tag: version },
 * versions: { [version]: manifest }, _attachments: { '<name>-<version>.tgz': { data: base64, length } } }`.
 * Exactly one version and one attachment, matching the URL's package name; length and dist.integrity
 * must match the attached bytes. Shared by tufpm-registry and the Verdaccio plugin (ADR 0018).
 */
export function parsePublishDocument(doc: unknown, name: string): ParsedPublish {
  if (!isObject(doc)) throw bad('publish body must be a JSON object');
  if (doc['name'] !== name) throw bad(`publish body names ${shown(doc['name'])}, URL names ${name}`);
  if (doc['_id'] !== undefined && doc['_id'] !== name) throw bad('publish body _id does not match the package name');
  const versions = doc['versions'];
  if (!isObject(versions) || Object.keys(versions).length !== 1) throw bad('publish body must contain exactly one version');
  const version = assertVersion(Object.keys(versions)[0]);
  const claimedManifest = versions[version];
  if (!isObject(claimedManifest) || claimedManifest['name'] !== name || claimedManifest['version'] !== version) {
    throw bad('version manifest name/version do not match');
  }
  const attachments = doc['_attachments'];
  if (!isObject(attachments) || Object.keys(attachments).length !== 1) throw bad('publish body must contain exactly one attachment');
  const [attachmentName, attachment] = Object.entries(attachments)[0]!;
  if (attachmentName !== `${name}-${version}.tgz` && attachmentName !== tarballFileName(name, version)) {
    throw bad(`unexpected attachment name ${shown(attachmentName)}`);
  }
  if (!isObject(attachment) || typeof attachment['data'] !== 'string' || !BASE64.test(attachment['data'])) {
    throw bad('attachment data must be base64');
  }
  const tarball = new Uint8Array(Buffer.from(attachment['data'], 'base64'));
  if (attachment['length'] !== undefined && attachment['length'] !== tarball.length) {
    throw new RegistryError('REGISTRY_TARBALL_MISMATCH', 'attachment length does not match its data');
  }
  const dist = claimedManifest['dist'];
  if (isObject(dist) && typeof dist['integrity'] === 'string' && dist['integrity'] !== tarballDigests(tarball).integrity) {
    throw new RegistryError('REGISTRY_TARBALL_MISMATCH', 'dist.integrity does not match the attached tarball');
  }
  let distTags: Record<string, string> = { latest: version };
  if (doc['dist-tags'] !== undefined) {
    const tags = doc['dist-tags'];
    if (!isObject(tags) || !Object.values(tags).every((v) => typeof v === 'string')) throw bad('dist-tags must map tags to versions');
    if (Object.keys(tags).length > 0) distTags = tags as Record<string, string>;
  }
  // Hooks see the document without the (large) attachment data.
  const document: Record<string, unknown> = {
    ...doc,
    _attachments: { [attachmentName]: { ...attachment, data: undefined, length: tarball.length } },
  };
  return { name, version, tarball, attachmentName, distTags, document };
}

/**
 * Handles the body of `npm publish`: parsePublishDocument, then acceptVersion. The tarball's own
 * package.json is the authority for the stored manifest, so a body that claims other dependencies than
 * the tarball ships cannot change what installs.
 */
export async function handlePublish(body: Buffer, ctx: PublishContext): Promise<AddedVersion> {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new RegistryError('REGISTRY_BAD_REQUEST', 'publish body is not JSON', { cause: err });
  }
  const p = parsePublishDocument(doc, ctx.name);
  return acceptVersion(ctx.dir, p.tarball, {
    claimed: { name: ctx.name, version: p.version },
    distTags: p.distTags,
    hooks: ctx.hooks,
    user: ctx.user,
    document: p.document,
    time: ctx.now(),
  });
}
