import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TargetFile, generateEd25519KeyPair, type Key, type Signer } from '@tufpm/models';
import {
  addPackageVersion,
  buildPackageTarball,
  generateUniverse,
  packumentFile,
  startRegistry,
  tarballFile,
  targetPathFor,
  tufMetadataDir,
  type RunningRegistry,
  type Universe,
} from '@tufpm/registry';
import { initRepository, readPackageTarball, type NpmRepository } from '@tufpm/repo';
import { readProjectFile, treeDigest, writeProjectFile } from './project-files.js';

/**
 * A signed npm world for integration tests of tufpm-npm: a TUF repository (npm profile, consistent
 * snapshots) written into a loopback @tufpm/registry directory, real tarballs, and helpers that play the
 * attacker (a compromised registry, mirror or maintainer key) by editing that directory.
 */

export interface Maintainer {
  key: Key;
  signer: Signer;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const require = createRequire(import.meta.url);
/** dist/src/cli.js of @tufpm/npm (its package exports only the library entry). */
export const TUFPM_NPM_CLI = join(dirname(require.resolve('@tufpm/npm')), 'cli.js');

export class NpmWorld {
  private readonly cleanups: string[] = [];

  private constructor(
    readonly base: string,
    readonly registryDir: string,
    readonly keysDir: string,
    readonly repo: NpmRepository,
    readonly registry: RunningRegistry,
  ) {}

  /** Registry URL with a trailing slash, as npm config and tufpm-lock.json spell it. */
  get url(): string {
    return `${this.registry.url}/`;
  }

  get metadataDir(): string {
    return tufMetadataDir(this.registryDir);
  }

  /**
   * `snapshot: 'merkle'`: the Merkle snapshot profile (ADR 0021/0022). Without it, TUFPM_TEST_SNAPSHOT=merkle
   * in the environment selects it, so that merkle-installs.test.ts reruns the classic attack tests unchanged.
   */
  static async create(opts: {
    now?: Date; expiries?: Record<string, number>; snapshot?: 'classic' | 'merkle';
    /** hash bins 2^bitLength (default 4 bins) */
    bitLength?: number;
    /** one line per registry request (`GET /-/tuf/metadata/3.unclaimed-0a.json 200`) */
    log?: (line: string) => void;
  } = {}): Promise<NpmWorld> {
    const snapshot = opts.snapshot ?? (process.env.TUFPM_TEST_SNAPSHOT === 'merkle' ? 'merkle' : 'classic');
    const base = await mkdtemp(join(tmpdir(), 'tufpm-npm-world-'));
    const registryDir = join(base, 'registry');
    const keysDir = join(base, 'keys');
    const repo = await initRepository({
      dir: tufMetadataDir(registryDir),
      keysDir,
      bitLength: opts.bitLength ?? 2,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.expiries ? { expiries: opts.expiries } : {}),
      ...(snapshot === 'merkle' ? { snapshotProfile: 'merkle' as const } : {}),
    });
    const registry = await startRegistry({ dir: registryDir, ...(opts.log ? { log: opts.log } : {}) });
    return new NpmWorld(base, registryDir, keysDir, repo, registry);
  }

  static maintainer(): Maintainer {
    const { key, signer } = generateEd25519KeyPair();
    return { key, signer };
  }

  /** Publishes name@version to the registry and signs it (into its bin, or its claimed role with `signers`). */
  async publish(name: string, version: string, dependencies: Record<string, string> = {}, signers?: Signer[]): Promise<{ tarball: Uint8Array; role: string }> {
    const tarball = buildPackageTarball({ name, version, dependencies });
    await addPackageVersion(this.registryDir, tarball, { durable: false });
    const { role } = await this.repo.publishTarball(tarball, signers ? { signers } : {});
    return { tarball, role };
  }

  /** A seeded universe of packages (see @tufpm/registry generateUniverse), all signed in one snapshot. */
  async universe(packages: number, seed: string): Promise<Universe> {
    const universe = await generateUniverse({ dir: this.registryDir, packages, seed });
    const tarballs = await Promise.all(
      universe.targets.map(async (t) => readPackageTarball(new Uint8Array(await readFile(tarballFile(this.registryDir, t.tarballPath))))),
    );
    await this.repo.publishPrepared(tarballs);
    return universe;
  }

  /** Publishes to the registry without any TUF signature (an attacker with registry write access). */
  async publishUnsigned(name: string, version: string, dependencies: Record<string, string> = {}): Promise<Uint8Array> {
    const tarball = buildPackageTarball({ name, version, dependencies });
    await addPackageVersion(this.registryDir, tarball, { durable: false });
    return tarball;
  }

  /** Claims a package for its maintainers (offline targets key) with a threshold. */
  async claim(name: string, maintainers: Maintainer[], threshold: number): Promise<void> {
    await this.repo.addPackage(name, maintainers.map((m) => m.key), threshold, { signers: maintainers.map((m) => m.signer) });
  }

  /**
   * The registry (or a mirror) serves other bytes for name@version, with a packument whose integrity
   * matches them: plain npm would install them.
   */
  async replaceTarball(name: string, version: string, bytes: Uint8Array): Promise<void> {
    await writeFile(tarballFile(this.registryDir, targetPathFor(name, version)), bytes);
    const file = packumentFile(this.registryDir, name);
    const packument = JSON.parse(await readFile(file, 'utf8')) as { versions: Record<string, { dist: Record<string, unknown> }> };
    const dist = packument.versions[version]!.dist;
    dist.integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    dist.shasum = createHash('sha1').update(bytes).digest('hex');
    await writeFile(file, JSON.stringify(packument));
  }

  /**
   * Extraneous dependencies: the registry (or a mirror) adds `dep@range` to the packument's manifest of
   * name@version, which its signed tarball's package.json does not declare. Every tarball still verifies.
   */
  async addPackumentDependency(name: string, version: string, dep: string, range: string): Promise<void> {
    await this.editPackumentManifest(name, version, (manifest) => {
      manifest['dependencies'] = { ...(manifest['dependencies'] as Record<string, string> | undefined), [dep]: range };
    });
  }

  /** The registry (or a mirror) rewrites the packument's manifest of name@version; the signed tarball is untouched. */
  async editPackumentManifest(name: string, version: string, edit: (manifest: Record<string, unknown>) => void): Promise<void> {
    const file = packumentFile(this.registryDir, name);
    const packument = JSON.parse(await readFile(file, 'utf8')) as { versions: Record<string, Record<string, unknown>> };
    edit(packument.versions[version]!);
    await writeFile(file, JSON.stringify(packument));
  }

  /**
   * An attacker holding `signers` (not enough, or not the right, maintainer keys) and the registry's online
   * keys signs new bytes for name@version into the package role, and a new snapshot/timestamp over it.
   */
  async forgeRoleTarget(role: string, name: string, version: string, bytes: Uint8Array, signers: Signer[]): Promise<void> {
    await this.repo.transaction(
      async (repo) => {
        repo.addTarget(role, TargetFile.fromData(targetPathFor(name, version), bytes));
        const md = repo.role(role);
        md.signatures.clear();
        for (const s of signers) md.sign(s, true);
        await this.repo.resignSnapshotAndTimestamp();
      },
      { allowUnderThreshold: [role] },
    );
    await this.replaceTarball(name, version, bytes);
  }

  async readMetadata(file: string): Promise<Buffer> {
    return readFile(join(this.metadataDir, file));
  }

  async writeMetadata(file: string, bytes: Uint8Array | string): Promise<void> {
    await writeFile(join(this.metadataDir, file), bytes);
  }

  async metadataFiles(): Promise<string[]> {
    return readdir(this.metadataDir);
  }

  /** A temp directory removed by close(). */
  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(this.base, prefix));
    this.cleanups.push(dir);
    return dir;
  }

  /**
   * A project: package.json, the registry's 1.root.json committed as tufpm-root.json, and `.npmrc` with
   * `registry=` (the way a user configures npm).
   */
  async project(pkg: Record<string, unknown> = {}): Promise<Project> {
    const dir = await this.tempDir('project-');
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, ...pkg }, null, 2)}\n`);
    await copyFile(join(this.metadataDir, '1.root.json'), join(dir, 'tufpm-root.json'));
    await writeFile(join(dir, '.npmrc'), `registry=${this.url}\n`);
    return new Project(this, dir, await this.tempDir('machine-'));
  }

  async close(): Promise<void> {
    await this.registry.close();
    await rm(this.base, { recursive: true, force: true });
  }
}

/** Environment for a child npm/tufpm-npm: a private HOME and cache, and none of the caller's npm_config_*. */
export function isolatedEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // the machine's tufpm state defaults to <HOME>/.local/state/tufpm: no caller's XDG_STATE_HOME or TUFPM_STATE_DIR
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|XDG_STATE_HOME$|TUFPM_STATE_DIR$)/i.test(k)) env[k] = v;
  // npm (and tufpm-npm, which reads npm's config) retries a failed download, EINTEGRITY included, with 10-60 s
  // back-off: a test wants the answer, not the wait.
  return { ...env, HOME: home, npm_config_cache: join(home, '.npm'), npm_config_update_notifier: 'false', npm_config_fetch_retries: '0', ...extra };
}

export function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export class Project {
  constructor(
    readonly world: NpmWorld,
    readonly dir: string,
    /** HOME of the simulated machine: its npm cache and tufpm state (`.local/state/tufpm`) live there. */
    public machine: string,
  ) {}

  /** Simulates a fresh machine (CI): a new HOME, so no npm cache and no cached TUF metadata. */
  async freshMachine(): Promise<void> {
    this.machine = await this.world.tempDir('machine-');
  }

  tufpmNpm(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return run(process.execPath, [TUFPM_NPM_CLI, ...args], this.dir, isolatedEnv(this.machine, extraEnv));
  }

  /** The real npm CLI (the one running this Node), reading the project's .npmrc. */
  npm(args: string[]): Promise<CliResult> {
    const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    // npm retries an EINTEGRITY download with 10-60 s back-off; a test wants the answer, not the wait.
    return run(process.execPath, [npmCli, ...args], this.dir, isolatedEnv(this.machine, { npm_config_fetch_retries: '0' }));
  }

  read(file: string): Promise<string | undefined> {
    return readProjectFile(this.dir, file);
  }

  write(file: string, text: string): Promise<void> {
    return writeProjectFile(this.dir, file, text);
  }

  /** The files a failed install must leave untouched, to compare before/after. */
  async state(): Promise<{ packageJson?: string; packageLock?: string; tufpmLock?: string; nodeModules: string[]; nodeModulesTree: string }> {
    let nodeModules: string[] = [];
    try {
      nodeModules = (await readdir(join(this.dir, 'node_modules'))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const [packageJson, packageLock, tufpmLock] = await Promise.all([this.read('package.json'), this.read('package-lock.json'), this.read('tufpm-lock.json')]);
    return {
      ...(packageJson === undefined ? {} : { packageJson }),
      ...(packageLock === undefined ? {} : { packageLock }),
      ...(tufpmLock === undefined ? {} : { tufpmLock }),
      nodeModules,
      nodeModulesTree: await treeDigest(join(this.dir, 'node_modules')),
    };
  }
}
