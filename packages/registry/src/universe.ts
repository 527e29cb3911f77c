import semver from 'semver';
import { Prng } from './prng.js';
import { acceptVersion } from './store.js';
import { buildPackageTarball } from './tarball.js';
import type { PublishHook } from './hooks.js';

export interface UniverseOptions {
  dir: string;
  /** Number of packages (at least `roots`). */
  packages: number;
  seed: number | string;
  /** Number of direct dependencies of the root project (default 10). */
  roots?: number;
  /** Publish hooks run for every version (e.g. TUF signing); default none. */
  hooks?: PublishHook | PublishHook[];
  /** fsync every file (default false: fixtures favour speed). */
  durable?: boolean;
}

export interface UniverseTarget {
  name: string;
  version: string;
  tarballPath: string;
  length: number;
  hashes: { sha256: string; sha512: string };
}

export interface Universe {
  /** Direct dependencies for a root project's package.json. */
  rootDependencies: Record<string, string>;
  packages: Array<{ name: string; versions: string[] }>;
  /** `name@version` of every version an install of rootDependencies resolves to (highest match), sorted. */
  closure: string[];
  /** Every tarball written, for bulk TUF signing. */
  targets: UniverseTarget[];
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'zi', 'pe', 'sha', 'dor', 'fen', 'gil', 'hux', 'jam', 'qua', 'wex', 'yol', 'bri', 'cto'];
const SUFFIXES = ['', '-js', '-core', '-utils', '-parser', '-lite', '-fs', '-cli'];
const SCOPES = ['@acme', '@kit', '@nova', '@orbit', '@tufpm-demo'];
// Fixed, old publish times: deterministic packuments, and older than Yarn's 1-day npmMinimalAgeGate.
const EPOCH = Date.parse('2020-01-01T00:00:00.000Z');

function makeNames(rng: Prng, count: number): string[] {
  const names = new Set<string>();
  while (names.size < count) {
    const base = Array.from({ length: rng.int(2, 3) }, () => rng.pick(SYLLABLES)).join('') + rng.pick(SUFFIXES);
    names.add(rng.next() < 0.25 ? `${rng.pick(SCOPES)}/${base}` : base);
  }
  return [...names];
}

function makeVersions(rng: Prng): string[] {
  let major = rng.int(0, 3);
  let minor = rng.int(0, 5);
  let patch = rng.int(0, 9);
  const out = [`${major}.${minor}.${patch}`];
  const extra = rng.int(0, 3);
  for (let i = 0; i < extra; i++) {
    const r = rng.next();
    if (r < 0.5) patch += rng.int(1, 3);
    else if (r < 0.85) {
      minor += 1;
      patch = 0;
    } else {
      major += 1;
      minor = 0;
      patch = 0;
    }
    out.push(`${major}.${minor}.${patch}`);
  }
  return out;
}

/**
 * Writes a deterministic synthetic package universe. Packages form a DAG in generation order: package i
 * depends only on packages after it, and every package beyond the roots gets one parent within a window
 * before it, so all of them are reachable from the root set and the installed tree is about `packages`
 * large. Ranges are `^<an existing version>`, so each resolves inside the universe.
 */
export async function generateUniverse(options: UniverseOptions): Promise<Universe> {
  const rng = new Prng(options.seed);
  const n = options.packages;
  const rootCount = Math.min(options.roots ?? 10, n);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('packages must be a positive integer');
  const names = makeNames(rng, n);
  const versions = names.map(() => makeVersions(rng));
  const children: Array<Set<number>> = names.map(() => new Set<number>());
  const window = Math.max(rootCount, Math.ceil(n / 8));
  for (let i = rootCount; i < n; i++) children[rng.int(Math.max(0, i - window), i - 1)]!.add(i);
  for (let i = 0; i < n - 1; i++) {
    const extra = rng.int(0, 2);
    const hi = Math.min(n - 1, i + window);
    for (let k = 0; k < extra; k++) children[i]!.add(rng.int(i + 1, hi));
  }

  // deps[i][v] = { childName: range } for version v of package i.
  const deps: Array<Array<Record<string, string>>> = names.map((_, i) =>
    versions[i]!.map(() => {
      const out: Record<string, string> = {};
      for (const c of [...children[i]!].sort((a, b) => a - b)) out[names[c]!] = `^${rng.pick(versions[c]!)}`;
      return out;
    }),
  );

  const targets: UniverseTarget[] = [];
  let tick = 0;
  for (let i = n - 1; i >= 0; i--) {
    for (let v = 0; v < versions[i]!.length; v++) {
      const version = versions[i]![v]!;
      const tarball = buildPackageTarball({
        name: names[i]!,
        version,
        dependencies: deps[i]![v]!,
        manifest: { description: `synthetic package ${i}`, main: 'index.js', license: 'MIT' },
        files: {
          'index.js':
            `module.exports = { name: ${JSON.stringify(names[i])}, version: ${JSON.stringify(version)}, deps: [` +
            Object.keys(deps[i]![v]!).map((d) => `require(${JSON.stringify(d)})`).join(', ') +
            '] };\n',
        },
      });
      const added = await acceptVersion(options.dir, tarball, {
        time: new Date(EPOCH + tick++ * 60_000),
        hooks: options.hooks,
        durable: options.durable ?? false,
      });
      targets.push({ name: added.name, version, tarballPath: added.tarballPath, length: added.length, hashes: added.hashes });
    }
  }

  const rootDependencies: Record<string, string> = {};
  for (let i = 0; i < rootCount; i++) rootDependencies[names[i]!] = `^${versions[i]![versions[i]!.length - 1]}`;

  const index = new Map(names.map((name, i) => [name, i]));
  const closure = new Set<string>();
  const queue: Array<[string, string]> = Object.entries(rootDependencies);
  while (queue.length > 0) {
    const [name, range] = queue.pop()!;
    const i = index.get(name)!;
    const resolved = semver.maxSatisfying(versions[i]!, range)!;
    const key = `${name}@${resolved}`;
    if (closure.has(key)) continue;
    closure.add(key);
    queue.push(...Object.entries(deps[i]![versions[i]!.indexOf(resolved)]!));
  }
  return {
    rootDependencies,
    packages: names.map((name, i) => ({ name, versions: versions[i]! })),
    closure: [...closure].sort(),
    targets,
  };
}
