import { Configuration, Project, type Report } from '@yarnpkg/core';
import type { CommandContext } from '@yarnpkg/core';
import { MessageName } from '@yarnpkg/core';
import { TufError } from '@tufpm/models';
import { describeTufError } from '../report-errors.js';
import { TufSession } from '../session.js';

/** The project of the current directory and a verified TUF session for it, or null after reporting why not. */
export async function openProjectSession(context: CommandContext, report: Report): Promise<{ project: Project; session: TufSession } | null> {
  const configuration = await Configuration.find(context.cwd, context.plugins);
  const { project } = await Project.find(configuration, context.cwd);
  try {
    return { project, session: await TufSession.open(project) };
  } catch (error) {
    if (!(error instanceof TufError)) throw error;
    report.reportError(MessageName.UNNAMED, describeTufError(error));
    return null;
  }
}
