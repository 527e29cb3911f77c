import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientTimeouts } from '../src/tuf-session.js';
import { describeFailure } from '../src/index.js';

// Slow retrieval (ADR 0019): the installer's timeout (Yarn httpTimeout, npm fetch-timeout) bounds the TUF
// client's wait on a stall or a trickle; it may shorten the client's bounds, never lengthen them.

test('a short installer timeout shortens the TUF client idle timeout, header timeout and speed grace', () => {
  assert.deepEqual(clientTimeouts(1500), { idleTimeoutMs: 1500, headersTimeoutMs: 1500, speedGraceMs: 1500 });
  assert.deepEqual(clientTimeouts(20_000), { idleTimeoutMs: 20_000, headersTimeoutMs: 20_000, speedGraceMs: 10_000 });
});

test('a long installer timeout (npm fetch-timeout default 5 min, Yarn httpTimeout 60 s) never lengthens the client bounds', () => {
  assert.deepEqual(clientTimeouts(300_000), { idleTimeoutMs: 30_000, headersTimeoutMs: 30_000, speedGraceMs: 10_000 });
  assert.deepEqual(clientTimeouts(60_000), { idleTimeoutMs: 30_000, headersTimeoutMs: 30_000, speedGraceMs: 10_000 });
});

test('no usable installer timeout (absent, 0, negative, fractional) leaves the client defaults', () => {
  for (const t of [undefined, 0, -1, 1.5, Number.NaN]) assert.deepEqual(clientTimeouts(t), {}, String(t));
});

test('a stall or a trickle is reported as a fault, not as an attack (TUF_SLOW_RETRIEVAL)', () => {
  const { attack } = describeFailure('TUF_SLOW_RETRIEVAL');
  assert.match(attack, /^none detected: the registry or the network stalled or sent too slowly/);
});
