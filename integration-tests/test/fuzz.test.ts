// The short fuzz pass of `npm test` (issue 19): every target replays its committed corpus
// (integration-tests/fuzz-corpus/<target>/, the interesting inputs and defects of the long runs) and then
// fuzzes for a second or two from a fixed seed. `npm run fuzz` is the long, budgeted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { MetadataParseError } from '@tufpm/models';
import { allTargets, corpusFiles, fuzzTarget, runOne } from '../src/fuzz/run.js';
import type { FuzzTarget } from '../src/fuzz/target.js';

const root = process.env['TUFPM_REPO_ROOT'] ?? join(import.meta.dirname, '..', '..', '..');
const CORPUS = join(root, 'integration-tests', 'fuzz-corpus');
const SECONDS = Number(process.env['TUFPM_FUZZ_TEST_SECONDS'] ?? 1.5);
const SEED = 19;

test('the fuzz corpus holds inputs for every target', () => {
  for (const target of allTargets()) assert.ok(corpusFiles(CORPUS, target.name).length > 0, `no corpus for ${target.name}`);
});

for (const target of allTargets()) {
  test(`fuzz ${target.name}: the committed corpus replays with typed refusals only`, async () => {
    for (const { name, bytes } of corpusFiles(CORPUS, target.name)) {
      await assert.doesNotReject(runOne(target, bytes), `corpus input ${target.name}/${name}`);
    }
  });

  test(`fuzz ${target.name}: a ${SECONDS} s seeded pass finds no untyped exception, hang or failed round trip`, async () => {
    const stats = await fuzzTarget(target, { seconds: SECONDS, seed: SEED });
    assert.deepEqual(stats.defects.map((d) => `${d.error} (seed ${d.seed}, path ${d.path})`), []);
    assert.ok(stats.inputs > 0, 'no input was tried');
  });
}

test('the fuzzer reports an untyped exception, shrunk, and keeps the typed refusals apart (it can fail)', async () => {
  // A parser that crashes with a TypeError on any input holding byte 0x7b ('{') and refuses the rest properly.
  const broken: FuzzTarget = {
    name: 'broken',
    reads: 'nothing',
    inputs: () => fc.uint8Array({ minLength: 1, maxLength: 64 }),
    check(input) {
      if (input.includes(0x7b)) throw new TypeError('cannot read properties of undefined');
      throw new MetadataParseError('refused');
    },
  };
  const stats = await fuzzTarget(broken, { seconds: 2, seed: SEED });
  assert.equal(stats.defects.length, 1, 'the one defect, found once');
  assert.match(stats.defects[0]!.error, /^TypeError: cannot read properties/);
  const input = stats.defects[0]!.input;
  assert.ok(input.includes(0x7b) && input.length <= 4, `shrunk towards the smallest crashing input (${[...input].join(',')})`);
  assert.ok(stats.refused > 0);
});
