// The conformance CLI as a function (argv in, exit code out), so it is testable in-process too.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { TufError } from '@tufpm/models';
import { MetadataCache } from '../cache.js';
import { Updater } from '../updater.js';

function describe(err: unknown): string {
  if (err instanceof TufError) {
    let text = `${err.code}: ${err.message}`;
    let cause = err.cause;
    while (cause instanceof Error) {
      text += `\n  caused by: ${cause.message}`;
      cause = cause.cause;
    }
    return text;
  }
  return err instanceof Error ? err.stack ?? err.message : String(err);
}

export async function runConformanceClient(argv: string[], log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<0 | 1> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'metadata-dir': { type: 'string' },
        'metadata-url': { type: 'string' },
        'target-name': { type: 'string' },
        'target-base-url': { type: 'string' },
        'target-dir': { type: 'string' },
      },
    });
  } catch (err) {
    log(`usage error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  const metadataDir = values['metadata-dir'];
  if (metadataDir === undefined) {
    log('usage error: --metadata-dir is required');
    return 1;
  }
  try {
    switch (command) {
      case 'init': {
        if (rest.length !== 1) throw new Error('usage: --metadata-dir DIR init TRUSTED_ROOT');
        // CLIENT-CLI: copy the trusted root as is; no network, no checks (refresh checks it)
        const bytes = new Uint8Array(await readFile(rest[0]!));
        await new MetadataCache(metadataDir).write('root', bytes);
        return 0;
      }
      case 'refresh': {
        const metadataBaseUrl = values['metadata-url'];
        if (metadataBaseUrl === undefined || rest.length !== 0) throw new Error('usage: --metadata-dir DIR --metadata-url URL refresh');
        await new Updater({ metadataDir, metadataBaseUrl }).refresh();
        return 0;
      }
      case 'download': {
        const metadataBaseUrl = values['metadata-url'];
        const targetName = values['target-name'];
        const targetBaseUrl = values['target-base-url'];
        const targetDir = values['target-dir'];
        if (metadataBaseUrl === undefined || targetName === undefined || targetBaseUrl === undefined || targetDir === undefined || rest.length !== 0) {
          throw new Error('usage: --metadata-dir DIR --metadata-url URL --target-name PATH --target-base-url URL --target-dir DIR download');
        }
        const updater = new Updater({ metadataDir, metadataBaseUrl, targetBaseUrl, targetDir });
        const info = await updater.requireTargetInfo(targetName);
        // CLIENT-CLI: an artifact already present with matching hashes is not downloaded again
        if ((await updater.findCachedTarget(info)) === undefined) await updater.downloadTarget(info);
        return 0;
      }
      default:
        throw new Error(`unknown command ${String(command)} (expected init, refresh or download)`);
    }
  } catch (err) {
    log(describe(err));
    return 1;
  }
}
