// ADR 0013 for Yarn: the packument a resolver chooses versions and dist-tags from must list exactly the
// package's signed releases. Yarn's npm resolvers (ranges, tags, `yarn add`'s own range lookup, which runs
// before the install and its validateProject) read packuments through httpUtils.get, whose request passes
// this plugin's wrapNetworkRequest *outside* the npm plugin's metadata wrapper: the body seen here is what
// the resolver will use, also when the registry answered 304 and Yarn substituted its on-disk copy from
// <globalFolder>/metadata/npm (so a poisoned cached packument is checked too). Lockfile-resolved installs
// request no packument, so a frozen install pays nothing.
import { MessageName, ReportError, type Configuration, type Hooks } from '@yarnpkg/core';
import { npmConfigUtils } from '@yarnpkg/plugin-npm';
import { TufError } from '@tufpm/models';
import { asNetworkFault, describeTufError } from './report-errors.js';
import { TufSession } from './session.js';
import { packumentName } from './packument-url.js';

type Executor = Parameters<NonNullable<Hooks['wrapNetworkRequest']>>[0];
type Extra = Parameters<NonNullable<Hooks['wrapNetworkRequest']>>[1];

/** Configuration -> the TUF session of the command, opened by the first packument or by validateProject. */
const openings = new WeakMap<Configuration, Promise<TufSession>>();

/** The session for this configuration, opened once per command (one TUF refresh). */
export function openingFor(configuration: Configuration, open: () => Promise<TufSession>): Promise<TufSession> {
  let opening = openings.get(configuration);
  if (opening === undefined) {
    opening = open();
    opening.catch(() => undefined); // awaited by whoever needs it; this only keeps an early failure from counting as unhandled
    openings.set(configuration, opening);
  }
  return opening;
}

/** After an install the session is closed: a later install in the same process opens a new one. */
export function forgetOpening(configuration: Configuration): void {
  openings.delete(configuration);
}

function bodyAsJson(body: unknown): unknown {
  if (Buffer.isBuffer(body)) return JSON.parse(body.toString('utf8')) as unknown;
  return body;
}

/**
 * The wrapped executor for a packument request of the TUF registry, or undefined when `extra` is not one.
 * The response reaches the resolver only once its release list matched the signed one.
 */
function malformedPackument(name: string, error: SyntaxError): ReportError {
  return new ReportError(MessageName.UNNAMED, `TUF_PACKUMENT_MALFORMED | package ${name} | attack: none detected (the packument does not parse: cut short in transit, or a broken registry) | ${error.message} | nothing was installed; retry, and report the registry if it persists`);
}

export function checkPackumentRequest(executor: Executor, extra: Extra): Executor | undefined {
  if ((extra.method ?? 'GET') !== 'GET') return undefined;
  const configuration = extra.configuration;
  if (configuration.projectCwd === null) return undefined;
  const registry = npmConfigUtils.getDefaultRegistry({ configuration });
  const name = packumentName(String(extra.target), registry);
  if (name === null) return undefined;
  const projectCwd = configuration.projectCwd;
  const opening = openingFor(configuration, () => TufSession.open({ cwd: projectCwd, configuration }));
  return async () => {
    const [response, session] = await Promise.all([
      executor().catch((error: unknown) => {
        // Yarn's npm plugin parses the body inside the executor: a packument cut short fails there
        throw error instanceof SyntaxError ? malformedPackument(name, error) : asNetworkFault(error, `package ${name} (packument)`);
      }),
      opening.catch((error: unknown) => error),
    ]);
    if (!(session instanceof TufSession)) {
      if (!(session instanceof TufError)) throw session;
      // No verified repository state: validateProject / fetchEverything report it (or warn, in warn mode).
      if (configuration.get('tufMode') === 'unsafe-warn') return response;
      throw new ReportError(MessageName.UNNAMED, describeTufError(session));
    }
    if (response.statusCode !== undefined && (response.statusCode < 200 || response.statusCode >= 300)) return response;
    let packument: unknown;
    try {
      packument = bodyAsJson(response.body);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      // Not JSON (a body cut short with a matching Content-Length looks like this): nothing a resolver could
      // choose from. Said as a coded line; Yarn's own JSON.parse would print a stack trace.
      throw malformedPackument(name, error);
    }
    try {
      // Yarn's picked metadata has no per-version `version` (see offeredReleases).
      await session.verifier.checkReleaseList(name, packument, { versionFieldOptional: true });
    } catch (error) {
      if (!(error instanceof TufError)) throw error;
      const text = describeTufError(error, name);
      if (session.enforce) throw new ReportError(MessageName.UNNAMED, text);
      session.failed = true;
      session.warnings.push(text);
    }
    // checkReleaseList removed the unsigned `deprecated` / `engines` from the parsed document; Yarn's
    // resolvers read the body this hook returns (the npm plugin's caches hold the same parsed object), so
    // a raw body is handed on re-serialised.
    return Buffer.isBuffer(response.body) ? { ...response, body: Buffer.from(JSON.stringify(packument)) } : response;
  };
}
