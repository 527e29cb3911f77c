import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NpmWorld, type CliResult } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// Failures that are not attacks must not read like one (issue 14): a broken tufpm-root.json is the
// project's own file, and a registry that refuses connections or answers 5xx is down, not hostile. Each
// refusal still stops the install and leaves the project as it was.

/** A loopback server that answers every request with HTTP `status`. */
async function answering(status: number): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end('unavailable');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** A loopback URL on which nothing listens (a port just released): connections are refused. */
async function refusing(): Promise<string> {
  const { url, server } = await answering(200);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

const BROKEN_ROOT = '{"signed": {"_type": "root", "version": 1,';

describe('clear causes: a broken project root and an unreachable registry are not reported as attacks', () => {
  let world: NpmWorld;
  let down: { url: string; server: Server };

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
    down = await answering(503);
  });
  after(async () => {
    await close(down.server);
    await world.close();
  });

  test('a malformed tufpm-root.json says the project\'s file is broken (tufpm-npm)', async () => {
    const project = await world.project({ dependencies: { right: '1.0.0' } });
    await project.write('tufpm-root.json', BROKEN_ROOT);
    const before = await project.state();
    const res = await project.tufpmNpm(['install']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TUF_TRUSTED_ROOT_MALFORMED: the project's trusted root .*tufpm-root\.json is broken/);
    assert.match(res.stderr, /attack: +none detected: the project's own trusted root file is malformed/);
    assert.doesNotMatch(res.stderr, /registry serves|TUF_PARSE/);
    assert.deepEqual(await project.state(), before);
  });

  test('a malformed tufpm-root.json says the project\'s file is broken (Yarn)', async () => {
    const project = await YarnProject.create(world, { right: '1.0.0' });
    await project.write('tufpm-root.json', BROKEN_ROOT);
    const before = await project.state();
    const res = await project.yarn(['install']);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stdout, /TUF_TRUSTED_ROOT_MALFORMED \| attack: none detected: the project's own trusted root file is malformed/);
    assert.doesNotMatch(res.stdout, /registry serves|TUF_PARSE/);
    assert.deepEqual(await project.state(), before);
  });

  for (const kind of ['refused connection', 'HTTP 503'] as const) {
    const metadataUrl = async (): Promise<string> => (kind === 'HTTP 503' ? down.url : refusing());

    test(`a ${kind} from the metadata server says "registry unreachable, no attack detected" (tufpm-npm)`, async () => {
      const project = await world.project({ dependencies: { right: '1.0.0' } });
      await project.write('.npmrc', `registry=${world.url}\ntufpm-metadata-url=${await metadataUrl()}\n`);
      const before = await project.state();
      const res: CliResult = await project.tufpmNpm(['install']);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /TUF_REGISTRY_UNREACHABLE: registry unreachable, no attack detected/);
      assert.match(res.stderr, /attack: +none detected/);
      assert.deepEqual(await project.state(), before);
    });

    test(`a ${kind} from the metadata server says "registry unreachable, no attack detected" (Yarn)`, async () => {
      const project = await YarnProject.create(world, { right: '1.0.0' }, { rc: { tufMetadataUrl: await metadataUrl() } });
      const before = await project.state();
      const res = await project.yarn(['install']);
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stdout, /TUF_REGISTRY_UNREACHABLE \| attack: none detected .*registry unreachable, no attack detected/);
      assert.deepEqual(await project.state(), before);
    });
  }
});
