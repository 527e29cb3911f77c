import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NpmWorld, type CliResult, type Project } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';
import { FaultProxy, type Fault, type Target } from '../src/harness/fault-proxy.js';

// Network faults that are not TUF attacks, between real tufpm-npm / real Yarn and the loopback registry
// (docs/reliability.md, "Network faults"). For each: the install fails with a code that says what happened
// (a reset or a 5xx is "registry unreachable, no attack detected", not an attack), the project and the
// machine's TUF state are exactly as before, and the same install succeeds once the network heals.

/** Every file below `dir` with its sha256 (the TUF state directory: metadata, role pack, records). */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[p.slice(dir.length)] = createHash('sha256').update(await readFile(p)).digest('hex');
    }
  };
  await walk(dir);
  return out;
}

interface Case {
  name: string;
  target: Target;
  fault: Fault;
  /** what the installer's report must say */
  says: RegExp;
  /** the installer's network timeout for the faulted run (Yarn's httpTimeout, npm's fetch-timeout), in ms:
   *  short, so that a stall or a trickle costs the suite seconds, not the default 30 s per request */
  timeoutMs?: number;
}

/** The timeout of the stall and trickle cases: the TUF client takes it as its idle timeout and speed grace. */
const SHORT_TIMEOUT_MS = 1500;

/** A report that says all of these, in any order. */
function saysAll(...parts: RegExp[]): RegExp {
  return new RegExp(`^${parts.map((p) => `(?=[\\s\\S]*${p.source})`).join('')}`);
}

// Metadata faults: the TUF client's own fetcher (both installers share it).
const TUF_CASES: Case[] = [
  { name: 'a connection reset mid-body', target: 'tuf', fault: { kind: 'reset' }, says: /TUF_REGISTRY_UNREACHABLE[\s\S]*no attack detected/ },
  { name: 'a body cut short of its Content-Length', target: 'tuf', fault: { kind: 'truncate' }, says: /TUF_REGISTRY_UNREACHABLE[\s\S]*no attack detected/ },
  { name: 'a body cut short with a matching Content-Length', target: 'tuf', fault: { kind: 'truncate-matching-length' }, says: /TUF_PARSE[\s\S]*cut short in transit/ },
  { name: 'HTTP 503', target: 'tuf', fault: { kind: 'status', status: 503 }, says: /TUF_REGISTRY_UNREACHABLE[\s\S]*HTTP 503/ },
  { name: 'HTTP 429 with Retry-After', target: 'tuf', fault: { kind: 'too-many-requests', retryAfter: 1 }, says: /TUF_REGISTRY_UNREACHABLE[\s\S]*HTTP 429 \(Retry-After 1 s\)/ },
  { name: 'a redirect loop', target: 'tuf', fault: { kind: 'redirect-loop' }, says: /TUF_REGISTRY_UNREACHABLE[\s\S]*too many redirects/ },
  { name: 'an endless body', target: 'tuf', fault: { kind: 'endless' }, says: /TUF_LENGTH[\s\S]*endless data/ },
  // Slow retrieval (ADR 0019): the installer's own timeout bounds the TUF client's wait; a fault, not an attack.
  {
    name: 'a stall (headers, then nothing)', target: 'tuf', fault: { kind: 'stall' }, timeoutMs: SHORT_TIMEOUT_MS,
    says: saysAll(/TUF_SLOW_RETRIEVAL/, /no data for 1500 ms/, /none detected: the registry or the network stalled/),
  },
  {
    name: 'a slow trickle (64 B/s)', target: 'tuf', fault: { kind: 'trickle', bytesPerSecond: 64 }, timeoutMs: SHORT_TIMEOUT_MS,
    says: saysAll(/TUF_SLOW_RETRIEVAL/, /average speed below 1024 B\/s/, /none detected: the registry or the network stalled/),
  },
];

/** A trickle slower than the installer's idle timeout: one byte every 2.5 s against 1.5 s. */
const CRAWL: Fault = { kind: 'trickle', bytesPerSecond: 1, intervalMs: 2500 };

// Tarball and packument faults: the installers' own HTTP stacks (npm-registry-fetch, Yarn's got); the
// report is theirs, coded, and says what the network did. tufpm adds the signed-length check and the
// packument bound (an endless packument grew tufpm-npm to 3.5 GB in 20 s before it).
interface InstallerCases {
  /** [name, fault, what the report says, the installer's timeout for the faulted run] */
  tarball: Array<[string, Fault, RegExp, number?]>;
  packument: Array<[string, Fault, RegExp, number?]>;
}

// npm's idle timeout (fetch-timeout) answers a stall as @npmcli/agent's EIDLETIMEOUT or minipass-fetch's
// "network timeout" (FETCH_ERROR), whichever timer fires first.
const NPM_TIMEOUT = /TUF_NPM_(EIDLETIMEOUT: Idle timeout|FETCH_ERROR: network timeout)[\s\S]*attack: +none detected/;

const NPM: InstallerCases = {
  tarball: [
    ['a connection reset mid-body', { kind: 'reset' }, /TUF_NPM_ECONNRESET[\s\S]*attack: +none detected/],
    ['a body cut short of its Content-Length', { kind: 'truncate' }, /TUF_NPM_ECONNRESET/],
    ['a body cut short with a matching Content-Length', { kind: 'truncate-matching-length' }, /TUF_TARBALL_MISMATCH/],
    ['HTTP 503', { kind: 'status', status: 503 }, /TUF_NPM_E503/],
    ['HTTP 429 with Retry-After', { kind: 'too-many-requests', retryAfter: 1 }, /TUF_NPM_E429/],
    ['a redirect loop', { kind: 'redirect-loop' }, /TUF_NPM_EMAXREDIRECT/],
    ['a stall (headers, then nothing)', { kind: 'stall' }, NPM_TIMEOUT, SHORT_TIMEOUT_MS],
    ['a trickle slower than the timeout', CRAWL, NPM_TIMEOUT, SHORT_TIMEOUT_MS],
    // pacote unpacks while hashing: the padding after the signed gzip stream fails zlib before the hash check
    ['an oversized body (1 MiB past the signed length)', { kind: 'oversized', extraBytes: 2 ** 20 }, /TUF_TARBALL_MISMATCH: a tarball received does not unpack \(Z_DATA_ERROR[\s\S]*attack: +tampered tarball, or one corrupted or padded in transit/],
  ],
  packument: [
    ['a connection reset mid-body', { kind: 'reset' }, /TUF_NPM_ECONNRESET[\s\S]*attack: +none detected/],
    ['HTTP 503', { kind: 'status', status: 503 }, /TUF_NPM_E503/],
    ['an endless body', { kind: 'endless' }, /TUF_PACKUMENT_TOO_LARGE[\s\S]*package: +(left|right)/],
    ['a stall (headers, then nothing)', { kind: 'stall' }, NPM_TIMEOUT, SHORT_TIMEOUT_MS],
  ],
};

const YARN: InstallerCases = {
  tarball: [
    ['a connection reset mid-body', { kind: 'reset' }, /TUF_REGISTRY_UNREACHABLE \| package (left|right)@1\.0\.0 \(tarball\) \| attack: none detected.*(ReadError|RequestError)/],
    ['a body cut short with a matching Content-Length', { kind: 'truncate-matching-length' }, /TUF_TARBALL_MISMATCH.*tampered tarball, or one cut short in transit.*length \(\d+ bytes, signed \d+\)/],
    ['HTTP 503', { kind: 'status', status: 503 }, /YN0035.*503 \(Service Unavailable\)/],
    ['HTTP 429 with Retry-After', { kind: 'too-many-requests', retryAfter: 1 }, /YN0035.*429 \(Too Many Requests\)/],
    ['a redirect loop', { kind: 'redirect-loop' }, /TUF_REGISTRY_UNREACHABLE \| package (left|right)@1\.0\.0 \(tarball\) \| attack: none detected.*MaxRedirectsError/],
    ['a stall (headers, then nothing)', { kind: 'stall' }, /TUF_REGISTRY_UNREACHABLE \| package (left|right)@1\.0\.0 \(tarball\) \| attack: none detected.*TimeoutError/, SHORT_TIMEOUT_MS],
    ['a trickle slower than the timeout', CRAWL, /TUF_REGISTRY_UNREACHABLE \| package (left|right)@1\.0\.0 \(tarball\) \| attack: none detected.*TimeoutError/, SHORT_TIMEOUT_MS],
    // Yarn buffers the whole body before the plugin sees it (docs/reliability.md has the memory figures)
    ['an oversized body (1 MiB past the signed length)', { kind: 'oversized', extraBytes: 2 ** 20 }, /TUF_TARBALL_MISMATCH \| package (left|right)@1\.0\.0 .*length \(10\d{5} bytes, signed \d+\)/],
  ],
  packument: [
    ['a body cut short of its Content-Length', { kind: 'truncate' }, /TUF_REGISTRY_UNREACHABLE \| package (left|right) \(packument\) \| attack: none detected.*(ReadError|RequestError)/],
    ['a body cut short with a matching Content-Length', { kind: 'truncate-matching-length' }, /TUF_PACKUMENT_MALFORMED \| package (left|right) \| attack: none detected/],
    ['a stall (headers, then nothing)', { kind: 'stall' }, /TUF_REGISTRY_UNREACHABLE \| package (left|right) \(packument\) \| attack: none detected.*TimeoutError/, SHORT_TIMEOUT_MS],
  ],
};

describe('network faults between the installers and the registry', () => {
  let world: NpmWorld;
  let proxy: FaultProxy;

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
    await world.publish('left', '1.0.0', { right: '^1.0.0' });
    proxy = await FaultProxy.start(world.url);
  });
  after(async () => {
    await proxy?.close();
    await world?.close();
  });

  /** Injects the fault, runs the install, checks the refusal and that nothing moved, heals, installs. */
  async function survives(
    c: Case,
    state: () => Promise<unknown>,
    stateDir: string,
    install: (timeoutMs?: number) => Promise<CliResult>,
    report: (r: CliResult) => string,
  ): Promise<void> {
    const before = await state();
    const cache = await tree(stateDir);
    assert.ok(Object.keys(cache).length > 0, 'a warm machine: the TUF state holds verified metadata');
    proxy.resetStats();
    proxy.inject(c.target, c.fault);
    let res: CliResult;
    try {
      res = await install(c.timeoutMs);
    } finally {
      proxy.clear();
    }
    const out = report(res);
    assert.ok(proxy.stats().faulted > 0, `the fault was met (${c.name})`);
    assert.equal(res.code, 1, `exit 1 on ${c.name}\n${out}`);
    assert.match(out, c.says, `${c.name}: the report says what happened\n${out}`);
    assert.doesNotMatch(out, /Internal Error|\n\s+at /, 'a coded report, not a crash');
    assert.deepEqual(await state(), before, `${c.name}: project untouched`);
    assert.deepEqual(await tree(stateDir), cache, `${c.name}: TUF state untouched`);
    const healed = await install();
    assert.equal(healed.code, 0, `the same install succeeds once ${c.name} clears\n${report(healed)}`);
  }

  const all = (cases: InstallerCases): Case[] => [
    ...TUF_CASES,
    ...cases.tarball.map(([name, fault, says, timeoutMs]) => ({ name, target: 'tarball' as const, fault, says, ...(timeoutMs ? { timeoutMs } : {}) })),
    ...cases.packument.map(([name, fault, says, timeoutMs]) => ({ name, target: 'packument' as const, fault, says, ...(timeoutMs ? { timeoutMs } : {}) })),
  ];

  describe('tufpm-npm', () => {
    let project: Project;
    const stateDir = (): string => join(project.machine, '.local', 'state', 'tufpm');
    before(async () => {
      project = await world.project({ dependencies: { left: '^1.0.0' } });
      await writeFile(join(project.dir, '.npmrc'), `registry=${proxy.url}\n`);
      const first = await project.tufpmNpm(['install']);
      assert.equal(first.code, 0, first.stderr);
    });

    for (const c of all(NPM)) {
      test(`survives ${c.name} on ${c.target === 'tuf' ? 'TUF metadata' : `a ${c.target}`} (tufpm-npm)`, async () => {
        // Warm TUF state; what the fault needs fetched is not on disk: tarballs (no node_modules, no npm
        // cache), packuments (no package-lock.json either). Metadata is always asked for (timestamp).
        await rm(join(project.dir, 'node_modules'), { recursive: true, force: true });
        await rm(join(project.machine, '.npm'), { recursive: true, force: true });
        if (c.target === 'packument') await rm(join(project.dir, 'package-lock.json'), { force: true });
        const install = (timeoutMs?: number): Promise<CliResult> =>
          project.tufpmNpm(['install'], timeoutMs === undefined ? {} : { npm_config_fetch_timeout: String(timeoutMs) });
        await survives(c, () => project.state(), stateDir(), install, (r) => r.stderr);
      });
    }
  });

  for (const linker of ['node-modules', 'pnp'] as const) {
    describe(`Yarn (${linker})`, () => {
      let project: YarnProject;
      const stateDir = (): string => join(project.machine, '.local', 'state', 'tufpm');
      before(async () => {
        const behind = { registry: { url: proxy.url.replace(/\/$/, '') } };
        project = await YarnProject.create(Object.assign(Object.create(world) as NpmWorld, behind), { left: '^1.0.0' }, {
          rc: { nodeLinker: linker, httpRetry: 1 },
        });
        const first = await project.yarn(['install']);
        assert.equal(first.code, 0, first.stdout);
      });

      // PnP runs a few metadata cases and one tarball case; the fetch path is the same as node-modules.
      const stall = TUF_CASES.find((c) => c.fault.kind === 'stall')!;
      const cases = linker === 'pnp' ? [...TUF_CASES.slice(0, 2), stall, { name: 'HTTP 503', target: 'tarball' as const, fault: YARN.tarball[2]![1], says: YARN.tarball[2]![2] }] : all(YARN);
      for (const c of cases) {
        test(`survives ${c.name} on ${c.target === 'tuf' ? 'TUF metadata' : `a ${c.target}`} (Yarn ${linker})`, async () => {
          for (const f of ['node_modules', '.pnp.cjs', '.pnp.loader.mjs', '.yarn']) await rm(join(project.dir, f), { recursive: true, force: true });
          await rm(project.cacheFolder, { recursive: true, force: true });
          await rm(project.mirrorFolder, { recursive: true, force: true });
          if (c.target === 'packument') await rm(join(project.dir, 'yarn.lock'), { force: true });
          const install = (timeoutMs?: number): Promise<CliResult> =>
            project.yarn(['install'], timeoutMs === undefined ? {} : { YARN_HTTP_TIMEOUT: String(timeoutMs) });
          await survives(c, () => project.state(), stateDir(), install, (r) => r.stdout);
        });
      }
    });
  }
});
