import { Worker } from 'worker_threads';
import { MessageName, ReportError, type Configuration, type Project } from '@yarnpkg/core';
import { npath } from '@yarnpkg/fslib';
import { npmConfigUtils } from '@yarnpkg/plugin-npm';
import { InstallVerifier, defaultStateDir, parseMetadataUrl } from '@tufpm/verify';
import { TufError } from '@tufpm/models';
import { matchesNameList, readSettings, type TufSettings } from './configuration.js';
import { TUF_WORKER_SOURCE } from './tuf-worker-source.generated.js';
import type { TreeCheck } from './install-flow.js';
import { conventionalTarballUrls, packageKey } from './locators.js';
import { dlxTrust } from './dlx.js';

/**
 * The verification state of one install (or one `yarn tuf` command) of one project: the opened verifier,
 * which tarball URLs belong to which package, and which packages had their bytes verified in this process.
 */
export class TufSession {
  /** tarball URL -> name@version of the resolved tree, built on the first download (a warm install has none) */
  private readonly tarballUrls = new Map<string, { name: string; version: string }>();
  private readonly expectedTarballs: Array<{ name: string; version: string; archiveUrl: string | null }> = [];
  /** name@version whose downloaded tarball bytes were verified against TUF in this process */
  readonly downloaded = new Set<string>();
  /** failures downgraded to warnings (`tufMode: unsafe-warn`), reported at the end of the fetch step */
  readonly warnings: string[] = [];
  /** true while Yarn's fetch step runs: only then are tarball downloads checked */
  fetching = false;
  failed = false;
  /** scope (null: unscoped) -> the registry Yarn's configuration sends it to, looked up once per scope */
  private readonly scopeRegistries = new Map<string | null, string>();
  /** the checks of the tree being installed; downloads wait on their package's result */
  treeCheck: TreeCheck | undefined;

  private constructor(
    /** set by open(), or by attach() for a session opened before Yarn handed out its Project (yarn add) */
    public project: Project,
    readonly settings: TufSettings,
    readonly registryUrl: string,
    readonly verifier: InstallVerifier,
  ) {}

  /**
   * Opens the verifier for a project. Only `cwd` and `configuration` are read here, so a session can open
   * while `yarn add` looks up a range, before the install hands the Project over (then: attach).
   */
  static async open(project: Pick<Project, 'cwd' | 'configuration'>): Promise<TufSession> {
    const configuration = project.configuration;
    const settings = readSettings(configuration);
    // `warn` weakened every check under a name that did not say so: a pull request adding it must not pass review unnoticed.
    if (settings.legacyWarnMode) {
      throw new TufError('TUF_UNSAFE_SETTING', 'tufMode: warn is refused: it installs whatever fails verification, so it is spelled tufMode: unsafe-warn; set enforce (or remove the line from the .yarnrc.yml that a change added)');
    }
    const { registryUrl, metadataUrl } = registryUrls(configuration);
    const projectDir = npath.fromPortablePath(project.cwd);
    // `yarn dlx`: its temporary project is checked with the root and pins of the project it started from
    const dlx = await dlxTrust(projectDir, settings.trustedRoot, settings.lockfileFilename);
    const verifier = await InstallVerifier.open({
      projectDir,
      registryUrl,
      metadataUrl,
      ...(dlx !== null
        ? { trustedRootPath: dlx.trustedRootPath, pinsPath: dlx.pinsPath }
        : settings.trustedRoot === null ? {} : { trustedRootPath: npath.fromPortablePath(settings.trustedRoot) }),
      // Outside Yarn's global folder and cache (ADR 0011); one directory per registry inside it.
      stateDir: settings.stateFolder ?? defaultStateDir(),
      stateDirIsDefault: settings.stateFolder === null,
      packageCaches: settings.packageCaches,
      mode: settings.mode === 'unsafe-warn' ? 'warn' : 'enforce',
      unsafeUnverifiedPackages: settings.unverifiedPackages,
      lockfileName: settings.lockfileFilename,
      requireMaintainerSigned: settings.requireMaintainerSigned,
      minimumThreshold: settings.minimumThreshold,
      ...(settings.snapshotMaxLength === null ? {} : { snapshotMaxLength: settings.snapshotMaxLength }),
      // Yarn's httpTimeout also bounds a stall or a trickle on TUF metadata (shortens the client's, ADR 0019)
      networkTimeoutMs: settings.networkTimeoutMs,
      // Role downloads, parsing and signature checks run beside Yarn's main thread, which its fetch step
      // keeps busy (ADR 0008).
      tufWorker: () => new Worker(TUF_WORKER_SOURCE, { eval: true }),
    });
    return new TufSession(project as Project, settings, registryUrl, verifier);
  }

  attach(project: Project): this {
    this.project = project;
    return this;
  }

  get enforce(): boolean {
    return this.settings.mode === 'enforce';
  }

  isExempt(name: string): boolean {
    return matchesNameList(name, this.settings.unverifiedPackages);
  }

  allowsNonRegistry(name: string): boolean {
    return matchesNameList(name, this.settings.allowNonRegistry);
  }

  /** The registry that serves this package's scope: only the default one is covered by our TUF repository. */
  registryFor(name: string): string {
    const scope = name.startsWith('@') ? name.slice(1, name.indexOf('/')) : null;
    let registry = this.scopeRegistries.get(scope);
    if (registry === undefined) {
      registry = npmConfigUtils.getScopeRegistry(scope, { configuration: this.project.configuration }).replace(/\/+$/, '');
      this.scopeRegistries.set(scope, registry);
    }
    return registry;
  }

  /**
   * The URLs Yarn's npm fetchers request for name@version: `<registry>/<name>/-/<base>-<version>.tgz` with
   * the scope's slash encoded as `%2f` (Yarn retries with `/`), or the packument's own tarball URL.
   */
  expectTarball(name: string, version: string, archiveUrl: string | null): void {
    this.expectedTarballs.push({ name, version, archiveUrl });
  }

  /** name@version for a tarball URL of this install, or null for any other request (packuments, ...). */
  packageForUrl(url: string): { name: string; version: string } | null {
    if (this.expectedTarballs.length > 0) {
      for (const { name, version, archiveUrl } of this.expectedTarballs) {
        const entry = { name, version };
        if (archiveUrl !== null) this.tarballUrls.set(archiveUrl, entry);
        else for (const u of conventionalTarballUrls(this.registryFor(name), name, version)) this.tarballUrls.set(u, entry);
      }
      // cleared only once every entry is mapped: a failure above fails this download and the next ones too
      this.expectedTarballs.length = 0;
    }
    const known = this.tarballUrls.get(url);
    if (known) return known;
    const parsed = this.verifier.parseTarballUrl(url);
    return parsed === null ? null : { name: parsed.name, version: parsed.version };
  }

  /** Checks downloaded bytes before Yarn sees them; records the package as verified in this process. */
  async verifyDownload(name: string, version: string, body: Uint8Array): Promise<void> {
    await this.verifier.verifyTarball(name, version, body);
    this.downloaded.add(packageKey(name, version));
  }
}

/** The default registry (no trailing slash) and its TUF metadata URL (`tufMetadataUrl` or the registry's). */
export function registryUrls(configuration: Configuration): { registryUrl: string; metadataUrl: string } {
  const registryUrl = defaultRegistry(configuration);
  const configured = readSettings(configuration).metadataUrl;
  if (configured === null) return { registryUrl, metadataUrl: `${registryUrl}/-/tuf/metadata/` };
  // http(s), or a file:/// metadata directory (offline CI): the rule tufpm-npm and tufpm-verify apply
  const parsed = parseMetadataUrl(configured);
  if ('problem' in parsed) throw new ReportError(MessageName.UNNAMED, `TUF_CONFIG | tufMetadataUrl ${JSON.stringify(configured.slice(0, 200))}: ${parsed.problem} | set it to the http(s) or file:/// URL of the TUF metadata (docs/overlay.md)`);
  return { registryUrl, metadataUrl: parsed.url };
}

function defaultRegistry(configuration: Configuration): string {
  return npmConfigUtils.getDefaultRegistry({ configuration }).replace(/\/+$/, '');
}

/** One session per Configuration object: `wrapNetworkRequest` only receives the configuration. */
const sessions = new WeakMap<Configuration, TufSession>();

export function sessionFor(configuration: Configuration): TufSession | undefined {
  return sessions.get(configuration);
}

export function registerSession(session: TufSession): void {
  sessions.set(session.project.configuration, session);
}

export function dropSession(session: TufSession): void {
  if (sessions.get(session.project.configuration) === session) sessions.delete(session.project.configuration);
}
