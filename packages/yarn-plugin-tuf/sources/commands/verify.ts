import { BaseCommand } from '@yarnpkg/cli';
import { Configuration, MessageName, StreamReport } from '@yarnpkg/core';
import { Command, Option } from 'clipanion';
import { VerifyError, type TagEdge } from '@tufpm/verify';
import { checkBinding, collectTree, settle, type Failure } from '../install-flow.js';
import { describeTufError } from '../report-errors.js';
import { declaredDependencies, declaredManifestFields } from '../dependencies.js';
import { checkEdgeNames, checkSignedEdges } from '../edge-check.js';
import { openProjectSession } from './open-project.js';

/** `yarn tuf verify`: re-verifies yarn.lock against the current signed metadata and the pins, offline from Yarn's point of view. */
export class TufVerifyCommand extends BaseCommand {
  static override paths = [['tuf', 'verify']];

  static override usage = Command.Usage({
    category: 'TUF-related commands',
    description: 're-verify the current yarn.lock against TUF and tufpm-lock.json without installing',
    details: `
      Refreshes the registry's TUF metadata, then checks every package of yarn.lock: an npm package must be
      listed by its delegated role in the current snapshot with the hash pinned in tufpm-lock.json, declare
      only the dependencies, bins and platform conditions its signed package.json declares, and its yarn.lock checksum must be the one
      bound to that verified tarball (on this machine, or in tufpm-lock.json). Git, file and remote-URL
      dependencies are refused unless allowed by unsafeTufAllowNonRegistry. Nothing is downloaded except TUF
      metadata, and nothing is written to the project. Exits non-zero on any failure.
    `,
    examples: [['Verify the lockfile', '$0 tuf verify']],
  });

  json = Option.Boolean('--json', false, { description: 'Format the output as NDJSON' });

  async execute(): Promise<number> {
    const configuration = await Configuration.find(this.context.cwd, this.context.plugins);
    const report = await StreamReport.start({ configuration, json: this.json, stdout: this.context.stdout }, async (report) => {
      const opened = await openProjectSession(this.context, report);
      if (opened === null) return;
      const { project, session } = opened;
      const failures: Failure[] = [];
      const entries = collectTree(session, project.originalPackages.values(), failures);
      // The edges of yarn.lock as it is (only the lockfile was read: its packages, before the project's hooks).
      const tagEdges: TagEdge[] = [];
      for (const error of new Map(checkEdgeNames(project, project.originalPackages, tagEdges).map((e) => [e.message, e])).values()) failures.push({ error });
      for (const error of await session.verifier.checkTagEdges(tagEdges)) failures.push({ error });
      let unbound = 0;
      for (const entry of entries) {
        await settle(failures, `${entry.name}@${entry.version}`, async () => {
          const target = await session.verifier.resolve(entry.name, entry.version);
          await session.verifier.checkDependencies(entry.name, entry.version, declaredDependencies(project, entry.pkg, target));
          await session.verifier.checkManifestFields(entry.name, entry.version, declaredManifestFields(project, entry.pkg, target));
          const entryTags: TagEdge[] = [];
          const edges = checkSignedEdges(project, entry.pkg, target, project.originalPackages, entryTags);
          if (edges.length > 0) throw edges[0]!;
          const tags = await session.verifier.checkTagEdges(entryTags);
          if (tags.length > 0) throw tags[0]!;
          if (!entry.bindable) return;
          const checksum = project.storedChecksums.get(entry.pkg.locatorHash);
          // Nothing is installed here, so a checksum consistent with the pins is enough (an install on this
          // machine still rebuilds any archive it has no binding of its own for); a differing one throws.
          const pinned = session.verifier.pinned(entry.name, entry.version)?.yarnChecksum;
          if (checksum !== undefined && checkBinding(session, entry, checksum) === 'unbound' && pinned === checksum) return;
          if (checksum === undefined || checkBinding(session, entry, checksum) === 'unbound') {
            unbound++;
            throw new VerifyError('TUF_CHECKSUM_BINDING', `${entry.name}@${entry.version}: yarn.lock's checksum is not bound to a verified tarball in ${session.settings.lockfileFilename}`, {
              packageName: entry.name,
              version: entry.version,
              attack: 'unbound archive (the lockfile entry was never verified by an install with the TUF plugin)',
              recovery: 'run yarn install to verify and bind it',
            });
          }
        });
      }
      for (const { error, subject } of failures) report.reportError(MessageName.UNNAMED, describeTufError(error, subject));
      const summary = session.verifier.summary();
      const ok = entries.length - failures.length;
      report.reportInfo(MessageName.UNNAMED, `TUF: ${ok} of ${entries.length} npm packages of yarn.lock verified against snapshot v${summary.snapshot.version}${unbound > 0 ? `, ${unbound} not bound yet` : ''}`);
      if (this.json) report.reportJson({ verified: ok, total: entries.length, failures: failures.map((f) => ({ code: f.error.code, message: describeTufError(f.error, f.subject) })) });
    });
    return report.exitCode();
  }
}
