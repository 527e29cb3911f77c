// The sample projects of the demo: the same package.json installed with real Yarn 4 (plugin bundle) and
// with tufpm-npm (Arborist), each on its own simulated "machine" (HOME, caches) so that a fresh CI
// machine is one call away. Everything lives under the demo's temp directory.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Paths inside the repository the demo runs (all produced by `npm run build`, or installed by `npm ci`). */
export function repoPaths(root) {
  const require = createRequire(join(root, 'integration-tests', 'package.json'));
  let yarnJs;
  try {
    yarnJs = require.resolve('@yarnpkg/cli-dist/bin/yarn.js');
  } catch (error) {
    if (error?.code !== 'MODULE_NOT_FOUND') throw error;
  }
  return {
    harness: join(root, 'integration-tests', 'dist', 'src', 'harness', 'index.js'),
    pluginBundle: join(root, 'packages', 'yarn-plugin-tuf', 'bundles', '@yarnpkg', 'plugin-tuf.js'),
    tufpmNpm: join(root, 'packages', 'npm', 'dist', 'src', 'cli.js'),
    yarnJs,
    // The npm CLI that ships with this Node (used only for the "without tufpm" comparison).
    npmCli: [join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')].find((p) => existsSync(p)),
  };
}

async function fileDigest(path) {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}

async function listing(path) {
  try {
    return (await readdir(path)).sort().join(',');
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}

class Project {
  constructor(session, base, dir, files) {
    this.session = session;
    this.base = base;
    this.dir = dir;
    this.files = files;
  }

  /** A new simulated machine: HOME with empty caches (what a fresh CI runner has). */
  async freshMachine() {
    this.machine = await mkdtemp(join(this.base, 'machine-'));
    await mkdir(join(this.machine, 'tmp'));
  }

  async read(file) {
    try {
      return await readFile(join(this.dir, file), 'utf8');
    } catch (error) {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** tufpm-lock.json's packages, as `name@version` -> pin. */
  async pins() {
    const text = await this.read('tufpm-lock.json');
    if (text === undefined) return {};
    return JSON.parse(text).packages ?? {};
  }

  /** Digests of the files a refused install must leave as they were, and node_modules' top level. */
  async state() {
    const out = {};
    for (const f of this.files) out[f] = await fileDigest(join(this.dir, f));
    out['node_modules/'] = await listing(join(this.dir, 'node_modules'));
    return out;
  }
}

async function writeCommon(dir, dependencies, rootBytes) {
  await mkdir(dir);
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'tufpm-demo-app', version: '1.0.0', private: true, dependencies }, null, 2)}\n`);
  // The trust anchor a real project commits: the registry's 1.root.json, checked out of band.
  await writeFile(join(dir, 'tufpm-root.json'), rootBytes);
}

export class YarnProject extends Project {
  static async create(session, base, { paths, registryUrl, rootBytes, dependencies, yarnrc = [] }) {
    const dir = join(base, 'yarn-app');
    await writeCommon(dir, dependencies, rootBytes);
    // The project's own settings: the registry, and the three lines of the README (plugins + tufMode).
    const rc = [
      `npmRegistryServer: ${JSON.stringify(registryUrl)}`,
      'unsafeHttpWhitelist: ["127.0.0.1"]',
      'plugins:',
      `  - path: ${JSON.stringify(paths.pluginBundle)}`,
      'tufMode: enforce',
      ...yarnrc,
      '',
    ];
    await writeFile(join(dir, '.yarnrc.yml'), rc.join('\n'));
    const project = new YarnProject(session, base, dir, ['package.json', 'yarn.lock', 'tufpm-lock.json', '.pnp.cjs']);
    project.yarnJs = paths.yarnJs;
    await project.freshMachine();
    return project;
  }

  /** Only what Yarn needs: the machine's HOME and global folder (cache, mirror, TUF cache), no telemetry. */
  env() {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.machine,
      TMPDIR: join(this.machine, 'tmp'),
      NO_COLOR: '1',
      YARN_GLOBAL_FOLDER: join(this.machine, 'yarn-global'),
      YARN_ENABLE_TELEMETRY: '0',
      YARN_ENABLE_PROGRESS_BARS: 'false',
      YARN_ENABLE_INLINE_BUILDS: 'false',
    };
  }

  yarn(args) {
    return this.session.node([this.yarnJs, ...args], this.dir, this.env());
  }
}

export class NpmProject extends Project {
  static async create(session, base, { paths, registryUrl, rootBytes, dependencies, name = 'npm-app' }) {
    const dir = join(base, name);
    await writeCommon(dir, dependencies, rootBytes);
    await writeFile(join(dir, '.npmrc'), `registry=${registryUrl}\n`);
    const project = new NpmProject(session, base, dir, ['package.json', 'package-lock.json', 'tufpm-lock.json']);
    project.paths = paths;
    await project.freshMachine();
    return project;
  }

  /** The machine's HOME and npm cache; none of the caller's npm_config_* settings. */
  env() {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.machine,
      TMPDIR: join(this.machine, 'tmp'),
      NO_COLOR: '1',
      npm_config_cache: join(this.machine, '.npm'),
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      // npm retries a download that fails its integrity check for up to a minute; the answer is the same.
      npm_config_fetch_retries: '0',
    };
  }

  tufpmNpm(args) {
    return this.session.node([this.paths.tufpmNpm, ...args], this.dir, this.env());
  }

  /** Plain npm, no tufpm: the comparison. */
  npm(args) {
    return this.session.node([this.paths.npmCli, ...args], this.dir, this.env());
  }
}
