import { BaseCommand } from '@yarnpkg/cli';
import { Configuration, MessageName, StreamReport, type Project } from '@yarnpkg/core';
import { Command, Option } from 'clipanion';
import type { SignedTarget } from '@tufpm/verify';
import { collectTree, settle, type Failure } from '../install-flow.js';
import type { TufSession } from '../session.js';
import { openProjectSession } from './open-project.js';

/** Who signs the npm packages of yarn.lock under the current signed metadata (the "publishers sign offline" view). */
interface SignerCounts {
  total: number;
  maintainerSigned: number;
  registrySigned: number;
  /** packages whose lookup failed (policy, pins, missing targets): status shows the code, `yarn tuf verify` the detail */
  failed: Array<{ package: string; code: string }>;
}

async function signerCounts(project: Project, session: TufSession): Promise<SignerCounts> {
  const failures: Failure[] = [];
  const entries = collectTree(session, project.originalPackages.values(), failures);
  const signed: SignedTarget[] = [];
  for (const entry of entries) {
    await settle(failures, `${entry.name}@${entry.version}`, async () => {
      signed.push(await session.verifier.resolve(entry.name, entry.version));
    });
  }
  const maintainerSigned = signed.filter((t) => t.maintainerSigned).length;
  return {
    total: entries.length,
    maintainerSigned,
    registrySigned: signed.length - maintainerSigned,
    failed: failures.map((f) => ({ package: f.subject ?? '', code: f.error.code })),
  };
}

/** `yarn tuf status`: what the project trusts, what it pinned, and when the signed metadata expires. */
export class TufStatusCommand extends BaseCommand {
  static override paths = [['tuf', 'status']];

  static override usage = Command.Usage({
    category: 'TUF-related commands',
    description: 'show the trusted TUF state, the pins of tufpm-lock.json and what expires when',
    details: `
      Refreshes the registry's TUF metadata from the project's trusted root (root chain, timestamp, snapshot,
      targets), then prints the verified versions and their expiry dates next to the versions pinned in
      tufpm-lock.json. Nothing is written to the project.
    `,
    examples: [
      ['Show the trusted state', '$0 tuf status'],
      ['Print it as JSON', '$0 tuf status --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Format the output as a JSON object' });

  async execute(): Promise<number> {
    const configuration = await Configuration.find(this.context.cwd, this.context.plugins);
    const report = await StreamReport.start({ configuration, json: this.json, stdout: this.context.stdout }, async (report) => {
      const opened = await openProjectSession(this.context, report);
      if (opened === null) return;
      const { project, session } = opened;
      const signers = await signerCounts(project, session);
      const summary = session.verifier.summary();
      const lockfileName = session.settings.lockfileFilename;
      const nextExpiry = (['root', 'timestamp', 'snapshot', 'targets'] as const)
        .map((role) => ({ role, expires: summary[role].expires }))
        .sort((a, b) => Date.parse(a.expires) - Date.parse(b.expires))[0]!;
      if (this.json) {
        // `packages` is yarn.lock's tree; `policy` is what installs enforce on it.
        report.reportJson({ ...summary, packages: signers, policy: policyOf(session), nextExpiry, lockfile: lockfileName, mode: session.settings.mode });
        return;
      }
      report.reportInfo(MessageName.UNNAMED, `registry  ${summary.registry} (tufMode: ${session.settings.mode})`);
      report.reportInfo(MessageName.UNNAMED, `root      v${summary.root.version} sha256 ${summary.root.sha256.slice(0, 16)}... expires ${summary.root.expires}`);
      report.reportInfo(MessageName.UNNAMED, `timestamp v${summary.timestamp.version} expires ${summary.timestamp.expires}`);
      report.reportInfo(MessageName.UNNAMED, `snapshot  v${summary.snapshot.version} expires ${summary.snapshot.expires}`);
      report.reportInfo(MessageName.UNNAMED, `targets   v${summary.targets.version} expires ${summary.targets.expires}`);
      const hours = Math.floor((Date.parse(nextExpiry.expires) - Date.now()) / 3_600_000);
      // The timestamp normally expires first and is re-signed by the registry: installs fail once it is stale.
      report.reportInfo(MessageName.UNNAMED, `next      ${nextExpiry.role} expires ${nextExpiry.expires} (in ${hours} h)`);
      if (summary.pinned === null) {
        report.reportInfo(MessageName.UNNAMED, `pins      none yet (${lockfileName} is written by the next successful yarn install)`);
      } else {
        const p = summary.pinned;
        report.reportInfo(MessageName.UNNAMED, `pins      root v${p.root}, timestamp v${p.timestamp}, snapshot v${p.snapshot}, ${p.packages} packages (${lockfileName})`);
      }
      const failed = signers.failed.length > 0 ? `, ${signers.failed.length} failed verification (yarn tuf verify shows why)` : '';
      report.reportInfo(MessageName.UNNAMED, `packages  ${signers.total} npm packages in yarn.lock: ${signers.maintainerSigned} maintainer-signed, ${signers.registrySigned} registry-signed${failed}`);
      for (const f of signers.failed) report.reportWarning(MessageName.UNNAMED, `${f.package}: ${f.code}`);
      const policy = policyOf(session);
      const required = policy.requireMaintainerSigned === true ? ['every package'] : policy.requireMaintainerSigned;
      report.reportInfo(MessageName.UNNAMED, required.length === 0
        ? 'policy    no package has to be maintainer-signed (tufRequireMaintainerSigned)'
        : `policy    maintainer-signed, at least ${policy.minimumThreshold} signature(s): ${required.join(', ')}`);
    });
    return report.exitCode();
  }
}

function policyOf(session: TufSession): { requireMaintainerSigned: true | string[]; minimumThreshold: number } {
  return { requireMaintainerSigned: session.settings.requireMaintainerSigned, minimumThreshold: session.settings.minimumThreshold };
}
