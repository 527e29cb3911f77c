import { BaseCommand } from '@yarnpkg/cli';
import { Configuration, MessageName, StreamReport } from '@yarnpkg/core';
import { Command, Option } from 'clipanion';
import { openProjectSession } from './open-project.js';

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
      const { session } = opened;
      const summary = session.verifier.summary();
      const lockfileName = session.settings.lockfileFilename;
      const nextExpiry = (['root', 'timestamp', 'snapshot', 'targets'] as const)
        .map((role) => ({ role, expires: summary[role].expires }))
        .sort((a, b) => Date.parse(a.expires) - Date.parse(b.expires))[0]!;
      if (this.json) {
        report.reportJson({ ...summary, nextExpiry, lockfile: lockfileName, mode: session.settings.mode });
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
    });
    return report.exitCode();
  }
}
