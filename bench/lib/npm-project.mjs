// An npm project for the bench: the real npm CLI (the one beside this Node) or tufpm-npm, against the bench
// registry through the project's .npmrc. HOME, the npm cache and tufpm's state directory
// (`<HOME>/.local/state/tufpm`) live under one "machine" directory, so a cold install is one new machine away.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { timedRun } from './proc.mjs';

const require = createRequire(import.meta.url);
/** The npm CLI that ships with the running Node. */
export const NPM_CLI = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
/** tufpm-npm's bin (the package exports only its library entry, which sits beside cli.js). */
export const TUFPM_NPM_CLI = join(dirname(require.resolve('@tufpm/npm')), 'cli.js');

export class NpmProject {
  constructor(base, dir, tufpm) {
    this.base = base;
    this.dir = dir;
    this.tufpm = tufpm;
    this.machine = undefined;
  }

  static async create({ base, world, tufpm }) {
    const dir = await mkdtemp(join(base, tufpm ? 'npm-tufpm-' : 'npm-plain-'));
    const pkg = { name: 'bench-app', version: '1.0.0', private: true, dependencies: world.rootDependencies };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    await writeFile(join(dir, '.npmrc'), `registry=${world.registry.url}\n`);
    if (tufpm) await world.registry.writeTrustedRoot(dir);
    const project = new NpmProject(base, dir, tufpm);
    await project.newMachine();
    return project;
  }

  /** A fresh machine: empty npm cache, empty TUF metadata cache. */
  async newMachine() {
    if (this.machine !== undefined) await rm(this.machine, { recursive: true, force: true });
    this.machine = await mkdtemp(join(this.base, 'machine-'));
    await mkdir(join(this.machine, 'tmp'));
  }

  /** The caller's environment minus every npm_* variable (`npm run bench` sets many), private HOME and cache. */
  env() {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|YARN_|XDG_STATE_HOME$|TUFPM_STATE_DIR$)/i.test(k)) env[k] = v;
    return {
      ...env,
      HOME: this.machine,
      TMPDIR: join(this.machine, 'tmp'),
      npm_config_cache: join(this.machine, '.npm'),
      npm_config_update_notifier: 'false',
      // tufpm-npm neither audits nor asks for funding; npm must not either, or the comparison times
      // a registry round trip that has nothing to do with verification.
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      NO_COLOR: '1',
    };
  }

  async removeNodeModules() {
    await rm(join(this.dir, 'node_modules'), { recursive: true, force: true });
  }

  run(command) {
    const [file, label] = this.tufpm ? [TUFPM_NPM_CLI, `tufpm-npm ${command}`] : [NPM_CLI, `npm ${command}`];
    const prof = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`, `--cpu-prof-name=${label}-${command}-${Date.now()}.cpuprofile`, '--cpu-prof-interval=500'] : [];
    return timedRun(label, process.execPath, [...prof, file, command], { cwd: this.dir, env: this.env() });
  }

  hasFile(name) {
    return existsSync(join(this.dir, name));
  }

  /** tufpm's project files (trusted root, pins) from a tufpm project; plain npm ignores them. */
  async copyTufpmFilesFrom(other) {
    for (const name of ['tufpm-root.json', 'tufpm-lock.json']) await copyFile(join(other.dir, name), join(this.dir, name));
  }

  async copyLockfileFrom(other) {
    await copyFile(join(other.dir, 'package-lock.json'), join(this.dir, 'package-lock.json'));
  }
}
