import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type CliResult, type NpmWorld } from './npm-world.js';
import { readProjectFile, treeDigest, writeProjectFile } from './project-files.js';

/**
 * Real Yarn 4 (the `@yarnpkg/cli-dist` bundle, through `yarnPath`) with the tufpm plugin bundle, in a temp
 * project pointed at the loopback registry of an NpmWorld. Each project has its own "machine": Yarn's
 * cache, mirror (globalFolder/cache) and the plugin's TUF metadata cache live there, so a fresh machine
 * (CI) is one call away.
 */

const require = createRequire(import.meta.url);
export const YARN_JS = require.resolve('@yarnpkg/cli-dist/bin/yarn.js');
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const PLUGIN_BUNDLE = join(REPO_ROOT, 'packages', 'yarn-plugin-tuf', 'bundles', '@yarnpkg', 'plugin-tuf.js');

/** Only what a child process needs: no YARN_*, npm_config_*, CI or other settings of the caller leak in. */
export function yarnEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: join(home, 'tmp'), NO_COLOR: '1' };
  return { ...env, ...extra };
}

export type RcValue = string | number | boolean | string[];

function yamlValue(value: RcValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export interface ProjectFiles {
  yarnLock?: string;
  tufpmLock?: string;
  pnp?: string;
  installState: boolean;
  nodeModules: string[];
  /** digest of the whole node_modules tree (treeDigest) */
  nodeModulesTree: string;
}

export class YarnProject {
  private constructor(
    readonly world: NpmWorld,
    readonly dir: string,
    /** HOME of the simulated machine: Yarn's cache, mirror and the TUF metadata cache live below it. */
    public machine: string,
    private rc: Record<string, RcValue>,
    /** false: plain Yarn, to show what an attack does without the plugin */
    readonly plugin: boolean,
  ) {}

  /** A project with package.json, the registry's 1.root.json committed as tufpm-root.json and .yarnrc.yml. */
  static async create(
    world: NpmWorld,
    dependencies: Record<string, string>,
    opts: { rc?: Record<string, RcValue>; machine?: string; plugin?: boolean; trustedRoot?: string } = {},
  ): Promise<YarnProject> {
    if (!existsSync(PLUGIN_BUNDLE)) throw new Error(`${PLUGIN_BUNDLE} is missing: run npm run build -w @tufpm/yarn-plugin-tuf`);
    const dir = await world.tempDir('yarn-project-');
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies }, null, 2)}\n`);
    // `trustedRoot`: another repository's root (overlay mode: the team's metadata, not the registry's)
    await copyFile(opts.trustedRoot ?? join(world.metadataDir, '1.root.json'), join(dir, 'tufpm-root.json'));
    const project = new YarnProject(world, dir, opts.machine ?? (await YarnProject.newMachine(world)), opts.rc ?? {}, opts.plugin ?? true);
    await project.writeRc();
    return project;
  }

  private static async newMachine(world: NpmWorld): Promise<string> {
    const machine = await world.tempDir('yarn-machine-');
    await mkdir(join(machine, 'tmp'));
    return machine;
  }

  /** Yarn's cache: per machine, or with Yarn's default `enableGlobalCache: true`, `<globalFolder>/cache`. */
  get cacheFolder(): string {
    return this.rc.enableGlobalCache === true ? this.mirrorFolder : join(this.machine, 'cache');
  }

  /** Yarn's mirror: with enableGlobalCache false, every fetched archive is also copied here. */
  get mirrorFolder(): string {
    return join(this.machine, 'global', 'cache');
  }

  /** Writes .yarnrc.yml (the project's settings plus `extra`). */
  async writeRc(extra: Record<string, RcValue> = {}): Promise<void> {
    this.rc = { ...this.rc, ...extra };
    const settings: Record<string, RcValue> = {
      yarnPath: YARN_JS,
      npmRegistryServer: this.world.registry.url,
      unsafeHttpWhitelist: ['127.0.0.1'],
      npmMinimalAgeGate: 0,
      enableGlobalCache: false,
      enableTelemetry: false,
      enableProgressBars: false,
      ...(this.rc.enableGlobalCache === true ? {} : { cacheFolder: this.cacheFolder }),
      globalFolder: join(this.machine, 'global'),
      ...this.rc,
    };
    const lines = Object.entries(settings).map(([k, v]) => `${k}: ${yamlValue(v)}`);
    if (this.plugin) lines.push('plugins:', `  - path: ${JSON.stringify(PLUGIN_BUNDLE)}`, '    spec: "@yarnpkg/plugin-tuf"');
    await writeFile(join(this.dir, '.yarnrc.yml'), `${lines.join('\n')}\n`);
  }

  /** A fresh machine (CI): no Yarn cache, no mirror, no TUF metadata cache, no linked install. */
  async freshMachine(): Promise<void> {
    this.machine = await YarnProject.newMachine(this.world);
    await this.writeRc();
    for (const f of ['.pnp.cjs', '.pnp.loader.mjs', 'node_modules', '.yarn']) await rm(join(this.dir, f), { recursive: true, force: true });
  }

  yarn(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return run(process.execPath, [YARN_JS, ...args], this.dir, yarnEnv(this.machine, extraEnv));
  }

  read(file: string): Promise<string | undefined> {
    return readProjectFile(this.dir, file);
  }

  write(file: string, text: string): Promise<void> {
    return writeProjectFile(this.dir, file, text);
  }

  /** The files a refused install must leave untouched, to compare before and after. */
  async state(): Promise<ProjectFiles> {
    let nodeModules: string[] = [];
    try {
      nodeModules = (await readdir(join(this.dir, 'node_modules'))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const [yarnLock, tufpmLock, pnp] = await Promise.all([this.read('yarn.lock'), this.read('tufpm-lock.json'), this.read('.pnp.cjs')]);
    return {
      ...(yarnLock === undefined ? {} : { yarnLock }),
      ...(tufpmLock === undefined ? {} : { tufpmLock }),
      ...(pnp === undefined ? {} : { pnp }),
      installState: existsSync(join(this.dir, '.yarn', 'install-state.gz')),
      nodeModules,
      nodeModulesTree: await treeDigest(join(this.dir, 'node_modules')),
    };
  }

  /** Yarn's checksum of an archive (`10c0/<sha512 hex of the zip>`), as yarn.lock spells it. */
  static async checksumOf(file: string): Promise<string> {
    return `10c0/${createHash('sha512').update(await readFile(file)).digest('hex')}`;
  }

  /** Archives in the cache folder or the mirror, by file name. */
  async archives(where: 'cache' | 'mirror'): Promise<string[]> {
    try {
      return (await readdir(where === 'cache' ? this.cacheFolder : this.mirrorFolder)).filter((f) => f.endsWith('.zip')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
