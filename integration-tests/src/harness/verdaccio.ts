import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initRepository, type NpmRepository } from '@tufpm/repo';
import { isolatedEnv, run, TUFPM_NPM_CLI, type CliResult } from './npm-world.js';
import { PLUGIN_BUNDLE, YARN_JS, yarnEnv } from './yarn.js';

const require = createRequire(import.meta.url);
/** The installed Verdaccio (a dependency of integration-tests; 6.8.0 is the newest on Node 20). */
export const VERDACCIO = require.resolve('verdaccio');

/**
 * A real Verdaccio 6.8 (the `verdaccio` package, in a child process on loopback) with the
 * verdaccio-tufpm middleware, a TUF repository whose online keys it signs with, and a user `alice`
 * who may publish. Publishes go through the real npm and Yarn CLIs; installs through tufpm-npm and
 * Yarn with the tufpm plugin.
 */
export class VerdaccioWorld {
  private constructor(
    readonly base: string,
    /** the plugin's `dir`: tuf/metadata (served), tuf/staged, tuf/claims */
    readonly tufDir: string,
    readonly keysDir: string,
    readonly storageDir: string,
    readonly repo: NpmRepository,
    private child: ChildProcess,
    /** `http://127.0.0.1:<port>/` */
    readonly url: string,
    readonly token: string,
  ) {}

  get metadataDir(): string {
    return join(this.tufDir, 'tuf', 'metadata');
  }

  /** The Verdaccio process (memory measurements). */
  get pid(): number {
    return this.child.pid!;
  }

  /**
   * `plugin: false` starts the same Verdaccio without verdaccio-tufpm (the baseline of bench/verdaccio.mjs);
   * `prepare` runs on the new repository before Verdaccio starts; `uplink` proxies every package to that
   * registry (another loopback Verdaccio in tests); `snapshot: 'merkle'` creates the repository in the Merkle
   * snapshot profile and says so in config.yaml (`middlewares.tufpm.snapshot`).
   */
  static async create(opts: { expiries?: Record<string, number>; plugin?: boolean; bitLength?: number; prepare?: (repo: NpmRepository) => Promise<void>; uplink?: string; snapshot?: 'classic' | 'merkle' } = {}): Promise<VerdaccioWorld> {
    const base = await mkdtemp(join(tmpdir(), 'tufpm-verdaccio-'));
    const tufDir = join(base, 'tufpm');
    const keysDir = join(base, 'keys');
    const repo = await initRepository({ dir: join(tufDir, 'tuf', 'metadata'), keysDir, bitLength: opts.bitLength ?? 2, ...(opts.expiries ? { expiries: opts.expiries } : {}), ...(opts.snapshot === 'merkle' ? { snapshotProfile: 'merkle' as const } : {}) });
    await opts.prepare?.(repo);
    const storageDir = join(base, 'storage');
    // The config.yaml of docs/verdaccio.md, with no uplink (no network here) and a quiet log.
    await writeFile(join(base, 'config.yaml'), [
      'storage: ./storage',
      'auth:',
      '  htpasswd:',
      '    file: ./htpasswd',
      '    max_users: 10',
      ...(opts.uplink === undefined ? ['uplinks: {}'] : ['uplinks:', '  upstream:', `    url: ${opts.uplink}`]),
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      ...(opts.uplink === undefined ? [] : ['    proxy: upstream']),
      ...(opts.plugin === false ? [] : ['middlewares:', '  tufpm:', '    dir: ./tufpm', '    keys: ./keys', ...(opts.snapshot === 'merkle' ? ['    snapshot: merkle'] : []), 'filters:', '  tufpm:', '    dir: ./tufpm']),
      'web:',
      '  enable: false',
      'log: { type: stdout, format: json, level: error }',
      '',
    ].join('\n'));
    const launcher = "require(process.argv[2]).runServer(process.argv[1]).then((s) => s.listen(0, '127.0.0.1', () => process.stdout.write(`${s.address().port}\\n`)), (e) => { console.error(e); process.exit(1); })";
    const child = spawn(process.execPath, ['-e', launcher, join(base, 'config.yaml'), VERDACCIO], { cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = /^(\d+)\n/m.exec(out);
        if (m !== null) {
          child.stdout!.off('data', onData);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`verdaccio exited with ${code}: ${log}${out}`)));
    });
    child.stdout!.resume();
    const url = `http://127.0.0.1:${port}/`;
    const res = await fetch(`${url}-/user/org.couchdb.user:alice`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: 'correct-horse-battery' }),
    });
    if (res.status !== 201) throw new Error(`adduser: HTTP ${res.status} ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    return new VerdaccioWorld(base, tufDir, keysDir, storageDir, repo, child, url, token);
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.base, { recursive: true, force: true });
  }

  tempDir(prefix: string): Promise<string> {
    return mkdtemp(join(this.base, prefix));
  }

  /** A package directory ready for `npm publish` / `yarn npm publish`. */
  async packageDir(name: string, version: string, files: Record<string, string> = {}): Promise<string> {
    const dir = await this.tempDir('pkg-');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version, main: 'index.js', license: 'MIT' }, null, 2));
    await writeFile(join(dir, 'index.js'), `module.exports = ${JSON.stringify(`${name}@${version}`)};\n`);
    for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
    return dir;
  }

  /** The real npm CLI with alice's token (one HOME per call: no shared cache between concurrent publishes). */
  async npm(args: string[], cwd: string): Promise<CliResult> {
    const home = await this.tempDir('npm-home-');
    const host = this.url.replace(/^http:/, '');
    await writeFile(join(home, '.npmrc'), `registry=${this.url}\n${host}:_authToken=${this.token}\n`);
    const npmCli = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    return run(process.execPath, [npmCli, ...args, '--ignore-scripts'], cwd, isolatedEnv(home, { npm_config_userconfig: join(home, '.npmrc'), npm_config_fetch_retries: '0' }));
  }

  async npmPublish(name: string, version: string, files: Record<string, string> = {}, args: string[] = []): Promise<CliResult> {
    return this.npm(['publish', ...args], await this.packageDir(name, version, files));
  }

  /** Real `yarn npm publish` with alice's token. */
  async yarnPublish(name: string, version: string): Promise<CliResult> {
    const dir = await this.packageDir(name, version);
    const home = await this.tempDir('yarn-home-');
    await mkdir(join(home, 'tmp'));
    await writeFile(join(dir, '.yarnrc.yml'), [
      `yarnPath: ${JSON.stringify(YARN_JS)}`, `npmRegistryServer: ${JSON.stringify(this.url)}`, 'unsafeHttpWhitelist: ["127.0.0.1"]',
      `npmAuthToken: ${JSON.stringify(this.token)}`, 'enableTelemetry: false', `globalFolder: ${JSON.stringify(join(home, 'global'))}`, '',
    ].join('\n'));
    // a package with no dependencies: this install only writes its lockfile (Yarn publishes from a project)
    const install = await run(process.execPath, [YARN_JS, 'install'], dir, yarnEnv(home));
    if (install.code !== 0) return install;
    return run(process.execPath, [YARN_JS, 'npm', 'publish'], dir, yarnEnv(home));
  }

  /** A project trusting this registry's root: tufpm-root.json, .npmrc and .yarnrc.yml with the tufpm plugin. */
  async project(dependencies: Record<string, string>): Promise<VerdaccioProject> {
    const dir = await this.tempDir('project-');
    const machine = await this.tempDir('machine-');
    await mkdir(join(machine, 'tmp'));
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies }, null, 2)}\n`);
    await copyFile(join(this.metadataDir, '1.root.json'), join(dir, 'tufpm-root.json'));
    await writeFile(join(dir, '.npmrc'), `registry=${this.url}\n`);
    await writeFile(join(dir, '.yarnrc.yml'), [
      `yarnPath: ${JSON.stringify(YARN_JS)}`, `npmRegistryServer: ${JSON.stringify(this.url)}`, 'unsafeHttpWhitelist: ["127.0.0.1"]',
      'npmMinimalAgeGate: 0', 'enableGlobalCache: false', 'enableTelemetry: false', 'enableProgressBars: false', 'nodeLinker: node-modules',
      `cacheFolder: ${JSON.stringify(join(machine, 'cache'))}`, `globalFolder: ${JSON.stringify(join(machine, 'global'))}`,
      'plugins:', `  - path: ${JSON.stringify(PLUGIN_BUNDLE)}`, '    spec: "@yarnpkg/plugin-tuf"', '',
    ].join('\n'));
    return new VerdaccioProject(dir, machine);
  }

  /** Every file of Verdaccio's storage and of the TUF metadata with its sha256: "untouched" is equality. */
  async snapshot(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p, `${prefix}${e.name}/`);
        // .verdaccio-db.json holds Verdaccio's secret and package list; the list is compared with the rest
        else out[`${prefix}${e.name}`] = createHash('sha256').update(await readFile(p)).digest('hex');
      }
    };
    await walk(this.storageDir, 'storage/');
    await walk(this.metadataDir, 'metadata/');
    return out;
  }

  /** The timestamp's and snapshot's versions as served. */
  async served(): Promise<{ timestamp: number; snapshot: number }> {
    const ts = (await (await fetch(`${this.url}-/tuf/metadata/timestamp.json`)).json()) as { signed: { version: number; meta: Record<string, { version: number }> } };
    return { timestamp: ts.signed.version, snapshot: ts.signed.meta['snapshot.json']!.version };
  }
}

export class VerdaccioProject {
  constructor(readonly dir: string, readonly machine: string) {}

  tufpmNpm(args: string[]): Promise<CliResult> {
    return run(process.execPath, [TUFPM_NPM_CLI, ...args], this.dir, isolatedEnv(this.machine));
  }

  yarn(args: string[]): Promise<CliResult> {
    return run(process.execPath, [YARN_JS, ...args], this.dir, yarnEnv(this.machine));
  }

  async state(): Promise<Record<string, string | string[] | undefined>> {
    const read = (f: string): Promise<string | undefined> => readFile(join(this.dir, f), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    let nodeModules: string[] = [];
    try {
      nodeModules = (await readdir(join(this.dir, 'node_modules'))).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return {
      packageJson: await read('package.json'), packageLock: await read('package-lock.json'), yarnLock: await read('yarn.lock'),
      tufpmLock: await read('tufpm-lock.json'), nodeModules,
    };
  }
}
