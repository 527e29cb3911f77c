import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SignedTarget } from '@tufpm/verify';
import { NpmVerifyError } from '../src/index.js';
import { checkSignedEngines } from '../src/engines.js';

const target = (name: string, engines?: Record<string, string>): SignedTarget =>
  ({ name, version: '1.0.0', role: 'unclaimed-1', ...(engines ? { manifestFields: { engines } } : {}) }) as unknown as SignedTarget;

test('npm\'s engine check on signed engines: a warning, or under engine-strict a coded refusal', () => {
  const signed = [target('fits', { node: '>=18' }), target('old', { node: '<1' }), target('none'), target('npmonly', { npm: '>=99' })];
  assert.deepEqual(checkSignedEngines(signed, false, 'v20.0.0'), ['EBADENGINE old@1.0.0: unsupported engine: wants node "<1", this is v20.0.0']);
  assert.throws(() => checkSignedEngines(signed, true, 'v20.0.0'), (e: unknown) => e instanceof NpmVerifyError && e.code === 'TUF_NPM_EBADENGINE' && e.packageName === 'old');
  assert.throws(() => checkSignedEngines(signed, true, 'v0.5.0'), (e: unknown) => e instanceof NpmVerifyError && e.packageName === 'fits');
});
