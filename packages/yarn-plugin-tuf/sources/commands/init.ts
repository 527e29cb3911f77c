import { BaseCommand } from '@yarnpkg/cli';
import { Configuration, MessageName, Project, StreamReport, structUtils } from '@yarnpkg/core';
import { npath, ppath, type PortablePath } from '@yarnpkg/fslib';
import { Command, Option } from 'clipanion';
import { existsSync } from 'fs';
import { readFile } from 'fs/promises';
import { TufError } from '@tufpm/models';
import { bootstrapTrustedRoot, DEFAULT_TRUSTED_ROOT_NAME, parseMetadataUrl } from '@tufpm/verify';
import { readSettings } from '../configuration.js';
import { describeTufError } from '../report-errors.js';
import { TufSession, registryUrls } from '../session.js';

/**
 * The npm package names the project is known to use before its first install: every workspace's declared
 * dependencies (alias targets included) and the npm packages of yarn.lock, if there is one.
 */
function projectPackageNames(project: Project): string[] {
  const names = new Set<string>();
  for (const workspace of project.workspaces) {
    const manifest = workspace.manifest;
    for (const deps of [manifest.dependencies, manifest.devDependencies, manifest.peerDependencies]) {
      for (const descriptor of deps.values()) {
        names.add(structUtils.stringifyIdent(descriptor));
        // `npm:other@^1` serves another package under this name
        if (descriptor.range.startsWith('npm:')) {
          const spec = descriptor.range.slice(4);
          const at = spec.lastIndexOf('@');
          if (at > 0) names.add(spec.slice(0, at));
        }
      }
    }
  }
  for (const pkg of project.storedPackages.values()) if (pkg.reference.startsWith('npm:')) names.add(structUtils.stringifyIdent(pkg));
  return [...names];
}

/**
 * The missing-plugin guard (ADR 0015): a `tufMode` line in the project's .yarnrc.yml. Yarn refuses every
 * command of a project whose rc file holds a setting no loaded plugin declares, so an install whose
 * plugin line went missing stops instead of installing unverified. Returns true when it was written now.
 */
async function setUpYarnGuard(cwd: PortablePath): Promise<boolean> {
  const rc = await Configuration.findFolderRcFile(cwd);
  const data: unknown = rc?.data;
  if (typeof data === 'object' && data !== null && Object.prototype.hasOwnProperty.call(data, 'tufMode')) return false;
  await Configuration.updateConfiguration(cwd, { tufMode: 'enforce' });
  return true;
}

/** `yarn tuf init`: the project's trust starts here (the Yarn equivalent of `tufpm-npm init`). */
export class TufInitCommand extends BaseCommand {
  static override paths = [['tuf', 'init']];

  static override usage = Command.Usage({
    category: 'TUF-related commands',
    description: 'start the project\'s trust: write tufpm-root.json and record the verified floors and claims in tufpm-lock.json',
    details: `
      Writes tufpm-root.json (the registry's 1.root.json, checked against --root-sha256 obtained from the
      registry operator out of band; without it the root is trusted on first use) unless the project already
      has one and no new root was asked for. Then refreshes the registry's TUF metadata from that root and
      records the verified root, timestamp, snapshot and targets versions, and which of the project's
      packages have a delegated role of their own (a claim, with its keyids and threshold), in
      tufpm-lock.json. The first install then refuses a repository state below those floors
      (TUF_PIN_ROLLBACK) and a claimed package served from an unclaimed bin (TUF_CLAIM_DROPPED), as every
      later install does. Commit both files.
    `,
    examples: [
      ['Start trusting the registry (root checked out of band)', '$0 tuf init --root-sha256 <hex>'],
      ['Record the floors with the committed root', '$0 tuf init'],
    ],
  });

  rootSha256 = Option.String('--root-sha256', { description: 'sha256 (hex) of the registry\'s 1.root.json, from the operator' });
  rootFile = Option.String('--root-file', { description: 'read the initial root from this file instead of the registry' });
  force = Option.Boolean('--force', false, { description: 'replace an existing tufpm-root.json' });
  metadataUrl = Option.String('--metadata-url', { description: 'overlay mode: the team\'s TUF metadata (http(s) or file:///), written to .yarnrc.yml as tufMetadataUrl' });
  registry = Option.String('--registry', { description: 'the registry packages come from (overlay mode: the upstream), written to .yarnrc.yml as npmRegistryServer' });
  json = Option.Boolean('--json', false, { description: 'Format the output as NDJSON' });

  /** --metadata-url / --registry as .yarnrc.yml settings; null (after an error report) when malformed. */
  private rcSettings(report: StreamReport): Record<string, string> | null {
    const settings: Record<string, string> = {};
    if (this.metadataUrl !== undefined) {
      const parsed = parseMetadataUrl(this.metadataUrl);
      if ('problem' in parsed) {
        report.reportError(MessageName.UNNAMED, `--metadata-url ${JSON.stringify(this.metadataUrl.slice(0, 200))}: ${parsed.problem}`);
        return null;
      }
      settings['tufMetadataUrl'] = parsed.url;
    }
    if (this.registry !== undefined) {
      if (!/^https?:\/\/[^\s]+$/i.test(this.registry) || this.registry.length > 2048) {
        report.reportError(MessageName.UNNAMED, `--registry ${JSON.stringify(this.registry.slice(0, 200))}: not an http(s) URL`);
        return null;
      }
      settings['npmRegistryServer'] = this.registry.replace(/\/+$/, '');
    }
    return settings;
  }

  async execute(): Promise<number> {
    const configuration = await Configuration.find(this.context.cwd, this.context.plugins);
    const report = await StreamReport.start({ configuration, json: this.json, stdout: this.context.stdout }, async (report) => {
      const { project } = await Project.find(configuration, this.context.cwd);
      const settings = readSettings(configuration);
      const rootPath = settings.trustedRoot === null
        ? npath.fromPortablePath(ppath.join(project.cwd, DEFAULT_TRUSTED_ROOT_NAME))
        : npath.fromPortablePath(settings.trustedRoot);
      if (this.rootSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(this.rootSha256)) {
        report.reportError(MessageName.UNNAMED, '--root-sha256 takes 64 hex characters');
        return;
      }
      // Overlay mode (docs/overlay.md): the URLs are used for this run from memory and written to the
      // project's .yarnrc.yml only once the root and the repository's state verified.
      const rcSettings = this.rcSettings(report);
      if (rcSettings === null) return;
      if (Object.keys(rcSettings).length > 0) configuration.use('<yarn tuf init>', rcSettings, project.cwd, { overwrite: true });
      try {
        if (this.force || this.rootSha256 !== undefined || this.rootFile !== undefined || !existsSync(rootPath)) {
          const { registryUrl, metadataUrl } = registryUrls(configuration);
          const rootBytes = this.rootFile === undefined ? undefined : new Uint8Array(await readFile(this.rootFile));
          const root = await bootstrapTrustedRoot({
            registryUrl,
            metadataUrl,
            projectDir: npath.fromPortablePath(project.cwd),
            trustedRootPath: rootPath,
            force: this.force,
            ...(this.rootSha256 !== undefined ? { expectedSha256: this.rootSha256.toLowerCase() } : {}),
            ...(rootBytes !== undefined ? { rootBytes } : {}),
          });
          report.reportInfo(MessageName.UNNAMED, `TUF: wrote ${root.path} (root v${root.version}, sha256 ${root.sha256}); commit it`);
          if (root.trustOnFirstUse && rootBytes === undefined) {
            report.reportWarning(MessageName.UNNAMED, 'TUF: trusted on first use: compare the sha256 above with the one your registry operator publishes, or rerun with --root-sha256');
          }
        } else {
          report.reportInfo(MessageName.UNNAMED, `TUF: kept the project's trusted root ${rootPath}`);
        }
        const session = await TufSession.open(project);
        try {
          const claims = await session.verifier.recordClaims(projectPackageNames(project));
          await session.verifier.commit();
          const s = session.verifier.summary();
          const names = [...claims.keys()].sort();
          report.reportInfo(MessageName.UNNAMED, `TUF: wrote ${session.verifier.lockfilePath}: floors root v${s.root.version}, timestamp v${s.timestamp.version}, snapshot v${s.snapshot.version}, targets v${s.targets.version}; ${names.length} claimed package(s) recorded${names.length > 0 ? ` (${names.join(', ').slice(0, 300)})` : ''}; commit it`);
          if (Object.keys(rcSettings).length > 0) {
            await Configuration.updateConfiguration(project.cwd, rcSettings);
            report.reportInfo(MessageName.UNNAMED, `TUF: wrote ${Object.entries(rcSettings).map(([k, v]) => `${k}: ${v}`).join(', ')} to .yarnrc.yml; commit it`);
          }
          const guard = await setUpYarnGuard(project.cwd);
          if (guard) report.reportInfo(MessageName.UNNAMED, 'TUF: wrote tufMode: enforce to .yarnrc.yml: without the plugin Yarn now refuses this project ("Unrecognized or legacy configuration settings found: tufMode"), ADR 0015; commit it');
          if (this.json) report.reportJson({ root: s.root.version, timestamp: s.timestamp.version, snapshot: s.snapshot.version, targets: s.targets.version, claims: names, guardWritten: guard });
        } finally {
          await session.verifier.close();
        }
      } catch (error) {
        if (!(error instanceof TufError)) throw error;
        report.reportError(MessageName.UNNAMED, describeTufError(error));
      }
    });
    return report.exitCode();
  }
}
