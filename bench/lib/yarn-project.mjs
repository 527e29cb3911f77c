// A Yarn 4 project for the bench: real Yarn (@yarnpkg/cli-dist through yarnPath) against the bench
// registry, PnP (Yarn's default) or node-modules linker, with or without the tufpm plugin bundle. Everything a machine
// keeps between installs (Yarn's cache, its mirror, the plugin's TUF metadata cache) lives under one
// "machine" directory used as HOME, so a cold install is one new machine away.
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timedRun } from './proc.mjs';

const require = createRequire(import.meta.url);
export const YARN_JS = require.resolve('@yarnpkg/cli-dist/bin/yarn.js');
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PLUGIN_BUNDLE = join(REPO_ROOT, 'packages', 'yarn-plugin-tuf', 'bundles', '@yarnpkg', 'plugin-tuf.js');

/** What Yarn links into the project; removed before every timed install so Yarn links again. */
const INSTALL_ARTIFACTS = ['.pnp.cjs', '.pnp.loader.mjs', '.yarn', 'node_modules'];

export class YarnProject {
  constructor(base, dir, plugin, registryUrl, linker) {
    this.base = base;
    this.linker = linker;
    this.dir = dir;
    this.plugin = plugin;
    this.registryUrl = registryUrl;
    this.machine = undefined;
  }

  static async create({ base, world, plugin, linker = 'pnp' }) {
    const dir = await mkdtemp(join(base, plugin ? 'yarn-tufpm-' : 'yarn-plain-'));
    const pkg = { name: 'bench-app', version: '1.0.0', private: true, dependencies: world.rootDependencies };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    if (plugin) await world.registry.writeTrustedRoot(dir);
    const project = new this(base, dir, plugin, world.registry.url, linker);
    await project.newMachine();
    return project;
  }

  /** A fresh machine: empty Yarn cache, empty mirror, empty TUF metadata cache. */
  async newMachine() {
    if (this.machine !== undefined) await rm(this.machine, { recursive: true, force: true });
    this.machine = await mkdtemp(join(this.base, 'machine-'));
    await mkdir(join(this.machine, 'tmp'));
    await this.writeRc();
  }

  /**
   * Writes this side's .yarnrc.yml into the directory the side installs in now: the plugin entry and the
   * cache and global folders (inside this side's machine) follow the side, so when the real-tree bench
   * swaps the two project directories a warm install still finds its own caches.
   */
  async writeRc() {
    const rc = [
      `yarnPath: ${JSON.stringify(YARN_JS)}`,
      `npmRegistryServer: ${JSON.stringify(this.registryUrl)}`,
      'unsafeHttpWhitelist: ["127.0.0.1"]',
      'npmMinimalAgeGate: 0',
      'enableGlobalCache: false',
      'enableTelemetry: false',
      'enableProgressBars: false',
      `nodeLinker: ${JSON.stringify(this.linker)}`,
      `cacheFolder: ${JSON.stringify(join(this.machine, 'cache'))}`,
      `globalFolder: ${JSON.stringify(join(this.machine, 'global'))}`,
    ];
    if (this.plugin) rc.push('plugins:', `  - path: ${JSON.stringify(PLUGIN_BUNDLE)}`, '    spec: "@yarnpkg/plugin-tuf"');
    await writeFile(join(this.dir, '.yarnrc.yml'), `${rc.join('\n')}\n`);
  }

  async removeInstallArtifacts() {
    for (const f of INSTALL_ARTIFACTS) await rm(join(this.dir, f), { recursive: true, force: true });
  }

  /** Only what Yarn needs: none of the caller's YARN_*, npm_config_* or CI settings leak in. */
  env() {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.machine, TMPDIR: join(this.machine, 'tmp'), NO_COLOR: '1' };
  }

  install() {
    return timedRun(`yarn install (${this.plugin ? 'with tufpm plugin' : 'plain'})`, process.execPath, [YARN_JS, 'install'], { cwd: this.dir, env: this.env() });
  }

  async cachedArchives() {
    try {
      return (await readdir(join(this.machine, 'cache'))).filter((f) => f.endsWith('.zip')).length;
    } catch (err) {
      if (err.code === 'ENOENT') return 0;
      throw err;
    }
  }

  hasFile(name) {
    return existsSync(join(this.dir, name));
  }

  /**
   * Copies the tufpm project files (trusted root, tufpm-lock.json) of another project, so either side can
   * install in either directory (plain Yarn does not read them), and refuses to go on if the two
   * yarn.lock files differ: both sides must install exactly the same tree.
   */
  async copyTufpmFilesFrom(other) {
    for (const name of ['tufpm-root.json', 'tufpm-lock.json']) await copyFile(join(other.dir, name), join(this.dir, name));
    const [mine, theirs] = await Promise.all([readFile(join(this.dir, 'yarn.lock')), readFile(join(other.dir, 'yarn.lock'))]);
    if (!mine.equals(theirs)) throw new Error(`yarn.lock differs between ${this.dir} and ${other.dir}: the sides would install different trees`);
  }

  /** Copies the lockfile of another project, so both sides install exactly the same tree. */
  async copyLockfileFrom(other) {
    await copyFile(join(other.dir, 'yarn.lock'), join(this.dir, 'yarn.lock'));
  }
}
