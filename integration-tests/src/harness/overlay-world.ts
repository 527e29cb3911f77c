import { copyFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { generateEd25519KeyPair, type Key, type Signer } from '@tufpm/models';
import { initOverlay, serveMetadata, type OverlayPaths, type StaticMetadataServer } from '@tufpm/overlay';
import { NpmRepository, publicKeyJson } from '@tufpm/repo';
import { NpmWorld, Project, isolatedEnv, run, type CliResult } from './npm-world.js';
import { YarnProject, type RcValue } from './yarn.js';

/**
 * Overlay mode for integration tests (ADR 0017): the upstream is a loopback npm registry that serves
 * packuments and tarballs and NO TUF metadata (standing in for the public registry); the team's
 * metadata-only repository is served by a separate static server (@tufpm/overlay serveMetadata, the cache
 * headers docs/overlay.md documents). Reviewers' keys are files, as a reviewer keeps them.
 */

const require = createRequire(import.meta.url);
export const OVERLAY_CLI = join(dirname(require.resolve('@tufpm/overlay')), 'cli.js');

export interface Reviewer {
  key: Key;
  signer: Signer;
  /** the private key file (PEM) */
  file: string;
  /** the public key file (securesystemslib JSON) */
  publicFile: string;
}

export class OverlayWorld {
  private constructor(
    /** the upstream registry: packuments and tarballs only */
    readonly upstream: NpmWorld,
    readonly paths: OverlayPaths,
    readonly reviewers: Reviewer[],
    readonly metadata: StaticMetadataServer,
  ) {}

  /** `snapshot: 'merkle'`: the overlay repository in the Merkle snapshot profile (ADR 0021), proofs written as files. */
  static async create(opts: { reviewers?: number; threshold?: number; snapshot?: 'classic' | 'merkle' } = {}): Promise<OverlayWorld> {
    const upstream = await NpmWorld.create();
    // The upstream serves no TUF metadata: the public registry does not either.
    await rm(upstream.metadataDir, { recursive: true, force: true });
    const keysHome = await upstream.tempDir('reviewers-');
    const reviewers: Reviewer[] = [];
    for (let i = 0; i < (opts.reviewers ?? 1); i++) {
      const { key, signer, privateKeyPem } = generateEd25519KeyPair();
      const file = join(keysHome, `reviewer${i + 1}.pem`);
      const publicFile = join(keysHome, `reviewer${i + 1}.pub.json`);
      await writeFile(file, privateKeyPem, { mode: 0o600 });
      await writeFile(publicFile, publicKeyJson(key));
      reviewers.push({ key, signer, file, publicFile });
    }
    const repoDir = await upstream.tempDir('overlay-repo-');
    const { paths } = await initOverlay({ repoDir, upstream: upstream.url, reviewers: reviewers.map((r) => r.key), threshold: opts.threshold ?? 1, ...(opts.snapshot === undefined ? {} : { snapshot: opts.snapshot }) });
    return new OverlayWorld(upstream, paths, reviewers, await serveMetadata(paths.metadataDir));
  }

  get rootFile(): string {
    return join(this.paths.metadataDir, '1.root.json');
  }

  /** `tufpm-overlay <args> --repo <the overlay>` as a reviewer or the CI job runs it. */
  overlay(args: string[]): Promise<CliResult> {
    return run(process.execPath, [OVERLAY_CLI, ...args, '--repo', this.paths.repoDir], this.paths.repoDir, isolatedEnv(this.paths.repoDir));
  }

  /** The repository with its online keys (the CI job's view; attacks that hold them use it too). */
  openRepository(now?: Date): Promise<NpmRepository> {
    return NpmRepository.open({ dir: this.paths.metadataDir, keysDir: this.paths.keysDir, ...(now === undefined ? {} : { now }) });
  }

  /** An npm project over the upstream: `.npmrc` names the upstream and the team's metadata URL. */
  async npmProject(dependencies: Record<string, string>): Promise<Project> {
    const dir = await this.upstream.tempDir('overlay-npm-');
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies }, null, 2)}\n`);
    await writeFile(join(dir, '.npmrc'), `registry=${this.upstream.url}\ntufpm-metadata-url=${this.metadata.url}\n`);
    await copyFile(this.rootFile, join(dir, 'tufpm-root.json'));
    return new Project(this.upstream, dir, await this.upstream.tempDir('machine-'));
  }

  /** A Yarn project over the upstream with the plugin and `tufMetadataUrl` set to the team's metadata. */
  yarnProject(dependencies: Record<string, string>, opts: { plugin?: boolean } = {}): Promise<YarnProject> {
    // plain Yarn (no plugin) rejects the plugin's setting
    const rc: Record<string, RcValue> = opts.plugin === false ? {} : { tufMetadataUrl: this.metadata.url };
    return YarnProject.create(this.upstream, dependencies, { rc, trustedRoot: this.rootFile, ...opts });
  }

  async close(): Promise<void> {
    await this.metadata.close();
    await this.upstream.close();
  }
}
