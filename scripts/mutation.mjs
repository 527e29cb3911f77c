#!/usr/bin/env node
// npm run test:mutation: StrykerJS 9 (Node 20) over the security-critical modules (issue 19), one module at a
// time, concurrency 1 (the machine is shared). Stryker mutates the COMPILED JavaScript in dist/ in place and
// restores it afterwards: the tests import other packages by name (node_modules -> packages/*/dist), which a
// sandbox copy would bypass. So run it on a checkout nobody builds in meanwhile, after `npm run build`.
// Only the test files named per module run, and per mutant only those of them that cover it (the tap runner's
// per-file coverage). Usage: npm run test:mutation -- [--module models|client|pins|verifier|sources] [--files a,b] [--json]
// Writes reports/mutation/<module>.json (Stryker's mutation-testing-report schema) and prints each file's score.
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const only = args.includes('--module') ? args[args.indexOf('--module') + 1] : undefined;
// --files a,b: mutate only the module's files whose path contains one of these (a partial run, say so)
const files = args.includes('--files') ? args[args.indexOf('--files') + 1].split(',') : undefined;
// --lines 238-400[,538-599]: mutate only these line ranges of the selected files (Stryker's `file:a-b`; a
// documented subset when a whole file cannot run in the time there is, say so)
const lines = args.includes('--lines') ? args[args.indexOf('--lines') + 1].split(',') : undefined;
if (lines !== undefined && !lines.every((r) => /^[1-9][0-9]*-[1-9][0-9]*$/.test(r))) throw new Error(`--lines takes line ranges a-b[,c-d], got ${lines.join(',')}`);
const withLines = (list) => (lines === undefined ? list : list.flatMap((f) => lines.map((r) => `${f}:${r}`)));

/** module -> the dist files mutated and the unit tests that cover them (globs relative to the root) */
export const MODULES = {
  // models: verification and parsing (signature threshold, the strict parser, the role/metadata field checks)
  models: {
    mutate: ['verification', 'root', 'role', 'signed', 'metadata', 'meta-file', 'json-strict'].map((f) => `packages/models/dist/src/${f}.js`),
    tests: ['packages/models/dist/test/*.test.js'],
  },
  // client: the trusted metadata set (TUF 5.3-5.6 checks) and the updater (the order and the bounds of the walk)
  client: {
    mutate: ['packages/client/dist/src/trusted-metadata-set.js', 'packages/client/dist/src/updater.js'],
    tests: ['trusted-metadata-set', 'rollback-freeze', 'root-rotation', 'delegations', 'arbitrary-metadata', 'metadata-size', 'endless-data', 'signed-bytes', 'cache', 'role-pack'].map((f) => `packages/client/dist/test/${f}.test.js`),
  },
  // verify: the pin checks (rollback floors, pinned hashes and signers) against their unit tests
  pins: {
    mutate: ['packages/verify/dist/src/pin-checks.js'],
    tests: ['packages/verify/dist/test/pin-checks.test.js'],
  },
  // verify: the verifier, against the in-process verifier attack suite (real loopback registry)
  verifier: {
    // verifier.ts and the files it was split into (the same code as before the split)
    mutate: ['verifier', 'verifier-open', 'signed-target', 'release-checks', 'session-bindings', 'next-pins'].map((f) => `packages/verify/dist/src/${f}.js`),
    tests: ['integration-tests/dist/test/verifier-attacks.test.js'],
  },
  // source classification: which lockfile entries and locators are registry packages that TUF must verify
  sources: {
    mutate: ['packages/yarn-plugin-tuf/dist/sources/locators.js', 'packages/npm/dist/src/sources.js'],
    tests: ['packages/yarn-plugin-tuf/dist/test/locators.test.js', 'packages/npm/dist/test/sources.test.js', 'packages/npm/dist/test/sources-cases.test.js'],
  },
};

const { Stryker } = await import('@stryker-mutator/core');
const reportDir = join(root, 'reports', 'mutation');
mkdirSync(reportDir, { recursive: true });
const summary = [];
for (const [name, mod] of Object.entries(MODULES)) {
  if (only !== undefined && name !== only) continue;
  const reportFile = join(reportDir, `${name}.json`);
  const stryker = new Stryker({
    packageManager: 'npm',
    inPlace: true,
    concurrency: 1,
    testRunner: 'tap',
    plugins: ['@stryker-mutator/tap-runner'],
    tap: { testFiles: mod.tests, nodeArgs: ['--test-reporter=tap'], forceBail: true },
    coverageAnalysis: 'perTest',
    mutate: withLines(files === undefined ? mod.mutate : mod.mutate.filter((f) => files.some((part) => f.includes(part)))),
    reporters: ['clear-text', 'json', 'progress'],
    jsonReporter: { fileName: relative(root, reportFile) },
    clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
    timeoutMS: 20_000,
    timeoutFactor: 2,
    disableTypeChecks: false,
    tempDirName: 'reports/mutation/.stryker-tmp',
    cleanTempDir: true,
  });
  const results = await stryker.runMutationTest();
  summary.push({ module: name, ...score(results), files: perFile(results) });
}
for (const s of summary) {
  console.log(`${s.module}: score ${s.score}% (${s.killed} killed, ${s.timeout} timed out, ${s.survived} survived, ${s.noCoverage} not covered, ${s.errors} errors)`);
  for (const f of s.files) console.log(`  ${f.file}: ${f.score}% (${f.killed + f.timeout}/${f.detected + f.survived + f.noCoverage})`);
}
if (args.includes('--json')) console.log(JSON.stringify(summary, null, 2));

function count(results) {
  const c = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0 };
  for (const r of results) {
    if (r.status === 'Killed') c.killed++;
    else if (r.status === 'Timeout') c.timeout++;
    else if (r.status === 'Survived') c.survived++;
    else if (r.status === 'NoCoverage') c.noCoverage++;
    else c.errors++; // CompileError / RuntimeError / Ignored
  }
  c.detected = c.killed + c.timeout;
  const valid = c.detected + c.survived + c.noCoverage;
  c.score = valid === 0 ? 100 : Math.round((1000 * c.detected) / valid) / 10;
  return c;
}
function score(results) {
  return count(results);
}
function perFile(results) {
  const by = new Map();
  for (const r of results) {
    const f = relative(root, r.fileName);
    if (!by.has(f)) by.set(f, []);
    by.get(f).push(r);
  }
  return [...by].map(([file, rs]) => ({ file, ...count(rs) }));
}
