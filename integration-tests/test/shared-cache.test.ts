import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NpmWorld, type Project } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// Concurrency on one machine (docs/reliability.md, "Concurrency"): installs of different projects that share
// one tufpm state directory (the machine's TUF cache, role pack, sealed records) run at the same time.
// Each must succeed, and the state they leave must serve the next install. TUFPM_STRESS=1 runs more rounds.

const ROUNDS = process.env.TUFPM_STRESS === '1' ? 10 : 1;

describe('installs sharing one TUF cache at the same time', () => {
  let world: NpmWorld;
  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
    await world.publish('left', '1.0.0', { right: '^1.0.0' });
    await world.publish('solo', '1.0.0');
  });
  after(() => world?.close());

  test('two tufpm-npm installs and a Yarn install on one machine at once all succeed, and the shared state serves the next install', async () => {
    const a: Project = await world.project({ dependencies: { left: '^1.0.0' } });
    const b: Project = await world.project({ dependencies: { solo: '^1.0.0', right: '^1.0.0' } });
    b.machine = a.machine; // one HOME: one ~/.local/state/tufpm
    await mkdir(join(a.machine, 'tmp'), { recursive: true }); // Yarn's TMPDIR on that machine
    const y = await YarnProject.create(world, { left: '^1.0.0' }, { rc: { nodeLinker: 'node-modules' }, machine: a.machine });
    for (let round = 0; round < ROUNDS; round++) {
      // a cold shared state each round: every install refreshes and writes the role pack
      await rm(join(a.machine, '.local', 'state', 'tufpm'), { recursive: true, force: true });
      for (const p of [a.dir, b.dir, y.dir]) await rm(join(p, 'node_modules'), { recursive: true, force: true });
      await rm(join(b.dir, 'package-lock.json'), { force: true }); // b resolves afresh: the newest solo
      await world.publish('solo', `1.0.${round + 1}`); // the repository moves between rounds
      const [ra, rb, ry] = await Promise.all([a.tufpmNpm(['install']), b.tufpmNpm(['install']), y.yarn(['install'])]);
      assert.equal(ra.code, 0, `round ${round}: first tufpm-npm install\n${ra.stderr}`);
      assert.equal(rb.code, 0, `round ${round}: second tufpm-npm install\n${rb.stderr}`);
      assert.equal(ry.code, 0, `round ${round}: Yarn install\n${ry.stdout}`);
      assert.ok(existsSync(join(y.dir, 'tufpm-lock.json')), 'the Yarn install verified and pinned (pins are written only after verification)');
      assert.ok(existsSync(join(y.dir, 'node_modules', 'left', 'package.json')), 'Yarn linked left');
      const pins = JSON.parse((await a.read('tufpm-lock.json'))!) as { timestamp: { version: number } };
      assert.ok(pins.timestamp.version >= 1);
      // the state the three left behind (written concurrently) is read by the next install without complaint
      await rm(join(b.dir, 'node_modules'), { recursive: true, force: true });
      const again = await b.tufpmNpm(['ci']);
      assert.equal(again.code, 0, `round ${round}: ci on the shared state\n${again.stderr}`);
      assert.equal(JSON.parse(await readFile(join(b.dir, 'node_modules', 'solo', 'package.json'), 'utf8')).version, `1.0.${round + 1}`);
    }
  });
});
