import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DelegatedRole, TufError } from '@tufpm/models';
import { InvalidInputError } from '../errors.js';
import { loadRepository } from '../repository-io.js';
import { findToken, MAX_TOKEN_LENGTH, readTokensFile, tokenAllows, TokensFileError } from '../tokens-file.js';
import { publishedIn, RequestRefusedError, requestDir, requestFile, storeRequest } from './request-store.js';
import { checkPackageName } from '../tarball.js';
import { claimRequestToJSON, parseClaimRequest, verifyClaimRequest } from './claims.js';
import { ClaimError } from './errors.js';
import { checkKeyChangeApprovals, keyChangeToJSON, parseKeyChange } from './key-change.js';
import { readStaged } from './staging.js';
import { NpmRepository } from '../npm-api.js';
import { acceptRoleRefresh } from './role-refresh.js';
import { firstRoleVersion } from '../unclaim.js';
import { parseRole } from './role-build.js';

const MAX_CLAIM_BYTES = 4 * 1024 * 1024;
/** A claim of a name with no signed release: keys, threshold and an empty role fit in far less. */
const MAX_NEW_CLAIM_BYTES = 64 * 1024;

/** Where submitted claim requests wait for the operator: `<registryDir>/tuf/claims/<encoded name>.json`. */
export function claimsDir(registryDir: string): string {
  return requestDir(registryDir, 'claim');
}

export function claimRequestFile(registryDir: string, name: string): string {
  return requestFile(registryDir, 'claim', name);
}

/** Where submitted key-change requests wait: `<registryDir>/tuf/key-changes/<encoded name>.json` (request-store.ts). */
export function keyChangeFile(registryDir: string, name: string): string {
  return requestFile(registryDir, 'key-change', name);
}

class HttpError extends TufError {
  constructor(readonly status: number, code: string, message: string) {
    super(code, message);
  }
}

/**
 * Token check with the registry's tokens.json, through the one strict reader tufpm-registry uses too
 * (tokens-file.ts): a malformed file refuses every token.
 */
async function authorize(registryDir: string, req: IncomingMessage, name: string): Promise<string> {
  const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  const presented = m?.[1];
  if (presented === undefined || presented.length > MAX_TOKEN_LENGTH) throw new HttpError(401, 'REGISTRY_UNAUTHORIZED', 'a publish token of the package is required');
  let tokens;
  try {
    tokens = await readTokensFile(registryDir);
  } catch (err) {
    if (err instanceof TokensFileError) throw new HttpError(500, 'TUF_TOKENS_FILE', `the registry's ${err.message}`);
    throw err;
  }
  const found = findToken(tokens, presented);
  if (found === undefined) throw new HttpError(403, 'REGISTRY_FORBIDDEN', 'invalid token');
  if (!tokenAllows(found, name)) throw new HttpError(403, 'REGISTRY_FORBIDDEN', `token may not publish ${name}`);
  return found.user;
}

function statusOf(err: TufError): number | undefined {
  const status = (err as TufError & { status?: unknown }).status;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 600 ? status : undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length, 'cache-control': 'no-store' });
  res.end(data);
}

async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw new HttpError(413, 'REGISTRY_TOO_LARGE', 'body too large');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > max) throw new HttpError(413, 'REGISTRY_TOO_LARGE', 'body too large');
    chunks.push(c);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/**
 * Maintainer-only routes, as an `intercept` for @tufpm/registry's startRegistry:
 * - `GET /-/tufpm/staged/<name>`: the staged (below-threshold) release of a package, role and tarball,
 *   for its co-signers. Needs a publish token of the package: installers never see staged roles.
 * - `PUT /-/tufpm/claims/<name>`: a maintainer's claim request (keys, threshold, role v1 signed at
 *   threshold), authenticated by the package's publish token, stored for the operator's approval.
 * - `PUT /-/tufpm/key-changes/<name>`: maintainers' key change (rotate/revoke), same authentication,
 *   stored for the operator, who checks the approvals against the delegation.
 * - `PUT /-/tufpm/roles/<name>`: a maintainer-signed role that only renews the expiry (no new target),
 *   at threshold; enabled when `keysDir` (online keys, for snapshot and timestamp) is given.
 * Returns false for every other request (the registry handles it).
 */
export function createMaintainerRoutes(opts: {
  registryDir: string; keysDir?: string; metadataDir?: string; now?: () => Date;
  /**
   * Who may use the routes of a package: resolves to the user name or throws. Default: a publish token of
   * the package in the registry's tokens.json. A registry with its own accounts (Verdaccio) passes its
   * publish-permission check here.
   */
  authorize?: (req: IncomingMessage, name: string) => Promise<string>;
  /**
   * Whether `PUT /-/tufpm/claims/<name>` stores requests (default true). A registry where anyone can make
   * accounts (Verdaccio with open htpasswd registration) turns it off: the per-user bound does not hold
   * against many accounts, and one party filling the total bound would stop everyone's claims. Claims
   * then reach the operator out of band, as files (tufpm-repo approve-claim REQUEST.json).
   */
  claimRequests?: boolean;
}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const allowed = opts.authorize ?? ((req: IncomingMessage, name: string) => authorize(opts.registryDir, req, name));
  const now = opts.now ?? (() => new Date());
  const metadataDir = opts.metadataDir ?? join(opts.registryDir, 'tuf', 'metadata');
  let repo: Promise<NpmRepository> | undefined;
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const m = /^\/-\/tufpm\/(staged|claims|key-changes|roles)\/([^/]+)$/.exec(path);
    if (m === null) return false;
    const method = req.method ?? 'GET';
    try {
      let name: string;
      try {
        name = decodeURIComponent(m[2]!);
        checkPackageName(name);
      } catch (err) {
        if (err instanceof URIError || err instanceof InvalidInputError) throw new HttpError(400, 'REGISTRY_INVALID_NAME', 'invalid package name');
        throw err;
      }
      if (m[1] === 'staged') {
        if (method !== 'GET') throw new HttpError(405, 'REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
        await allowed(req, name);
        const s = await readStaged(opts.registryDir, name);
        if (s === undefined) throw new HttpError(404, 'REGISTRY_NOT_FOUND', `no staged release of ${name}`);
        send(res, 200, {
          name, version: s.version, roleVersion: s.roleVersion, tarballPath: s.tarballPath, role: s.role.toJSON(),
          signatures: s.role.signatures.size, tarball: Buffer.from(s.tarball).toString('base64'),
        });
        return true;
      }
      if (method !== 'PUT') throw new HttpError(405, 'REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
      const user = await allowed(req, name);
      if (m[1] === 'roles') {
        if (opts.keysDir === undefined) throw new HttpError(404, 'REGISTRY_NOT_FOUND', 'role refresh is not enabled on this registry');
        const role = parseRole(await readBody(req, MAX_CLAIM_BYTES), 'refreshed role');
        repo ??= NpmRepository.open({ dir: metadataDir, keysDir: opts.keysDir });
        const opened = await repo.catch((err: unknown) => {
          repo = undefined; // retry on the next request
          throw err;
        });
        const done = await acceptRoleRefresh(opened, name, role, now());
        send(res, 201, { ok: true, ...done, message: `role ${name} v${done.roleVersion} accepted, valid until ${done.expires}` });
        return true;
      }
      if (m[1] === 'claims' && opts.claimRequests === false) {
        throw new HttpError(403, 'TUF_REQUESTS_CLOSED', `this registry takes no claim requests over HTTP (anyone can create an account here, so a queue could be filled by one party): send the signed request file (<name>.claim.json, from tufpm claim request and cosign) to the registry operator, who approves it with tufpm-repo approve-claim REQUEST.json`);
      }
      // Requests are checked against the served metadata before they are stored (issue 19: unchecked key
      // changes and claims of names never published were stored, 4 MiB each, without bound).
      const served = await loadRepository(metadataDir);
      const published = publishedIn(served, name);
      if (m[1] === 'key-changes') {
        const change = parseKeyChange(await readBody(req, MAX_CLAIM_BYTES));
        if (change.name !== name) throw new ClaimError(`the request changes keys of ${change.name}, the URL names ${name}`);
        const claimed = served.targets.signed.delegations?.getRole(name);
        if (published !== 'claimed' || !(claimed instanceof DelegatedRole)) throw new HttpError(404, 'REGISTRY_NOT_FOUND', `package ${name} is not claimed: it has no maintainer keys to change`);
        checkKeyChangeApprovals(change, claimed, served.targets.signed.delegations!.keys);
        await storeRequest(opts.registryDir, 'key-change', name, user, now(), keyChangeToJSON(change));
        send(res, 201, { ok: true, message: `key change for ${name} stored; the registry operator must apply it (tufpm-repo apply-key-change)` });
        return true;
      }
      // A claim of a name never published (maintainers who claim before their first release) adopts no
      // versions, so its request is small: a scope token cannot store 4 MiB per name of its scope.
      const request = parseClaimRequest(await readBody(req, published === undefined ? MAX_NEW_CLAIM_BYTES : MAX_CLAIM_BYTES));
      if (request.name !== name) throw new ClaimError(`the request claims ${request.name}, the URL names ${name}`);
      if (published === 'claimed') throw new HttpError(409, 'REGISTRY_CONFLICT', `package ${name} is already claimed (its maintainers change keys with tufpm keys)`);
      const v = verifyClaimRequest(request, now(), { firstVersion: firstRoleVersion(served, name) });
      if (!v.verified) throw new ClaimError(`the claim's role has ${v.distinctKeys} of ${v.threshold} signatures: co-sign it before submitting`);
      await storeRequest(opts.registryDir, 'claim', name, user, now(), claimRequestToJSON(request));
      send(res, 201, { ok: true, message: `claim request for ${name} stored; the registry operator must approve it (tufpm-repo approve-claim)` });
      return true;
    } catch (err) {
      if (err instanceof HttpError || err instanceof RequestRefusedError) send(res, err.status, { error: err.message, code: err.code });
      // an injected authorize may say its own status (401/403) on a TufError
      else if (err instanceof TufError) send(res, statusOf(err) ?? 400, { error: err.message, code: err.code });
      else throw err;
      if (!req.complete) res.on('finish', () => req.destroy());
      return true;
    }
  };
}
