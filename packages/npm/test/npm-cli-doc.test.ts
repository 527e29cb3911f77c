import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTION_RULES } from '../src/index.js';

// docs/npm-cli.md's option table against the real npm's help and against the code's table.
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const STATUS_LABEL = { arborist: 'Arborist', output: 'no-op', tufpm: 'tufpm-npm', refused: 'refused' } as const;

function npmHelp(command: string): string {
  // The npm that ships with this Node (as the integration harness runs it), else the one on PATH.
  const cli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  const [file, args] = existsSync(cli) ? [process.execPath, [cli, command, '--help']] : ['npm', [command, '--help']];
  return execFileSync(file, args, { encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
}

/** The option keys of an `npm <command> --help` usage block: `[-S|--save|--no-save|...]` -> save. */
function helpOptions(text: string): string[] {
  const block = text.slice(text.indexOf('Options:'), text.indexOf('\n\n', text.indexOf('Options:')));
  const keys = new Set<string>();
  for (const match of block.matchAll(/--([a-z][a-z0-9-]*)/g)) {
    const name = match[1]!;
    keys.add(name.startsWith('no-') && !Object.hasOwn(OPTION_RULES, name) ? name.slice(3) : name);
  }
  return [...keys];
}

function docRows(): Map<string, string> {
  const doc = readFileSync(join(repo, 'docs', 'npm-cli.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `--([a-z0-9-]+)` \| ([^|]+) \|/gm)) rows.set(match[1]!, match[2]!.trim());
  return rows;
}

test('docs/npm-cli.md lists every option the real `npm install --help` and `npm ci --help` show', () => {
  const rows = docRows();
  for (const command of ['install', 'ci']) {
    const options = helpOptions(npmHelp(command));
    assert.ok(options.length >= 20, `npm ${command} --help lists its options (found ${options.length})`);
    const missing = options.filter((key) => !rows.has(key));
    assert.deepEqual(missing, [], `npm ${command} options missing from docs/npm-cli.md`);
    const unruled = options.filter((key) => !Object.hasOwn(OPTION_RULES, key));
    assert.deepEqual(unruled, [], `npm ${command} options tufpm-npm has no rule for (src/options.ts)`);
  }
});

test('each docs/npm-cli.md option row says what the code does', () => {
  const rows = docRows();
  for (const [key, rule] of Object.entries(OPTION_RULES)) {
    assert.equal(rows.get(key), STATUS_LABEL[rule.status], `--${key}: docs say ${rows.get(key) ?? 'nothing'}, the code ${rule.status}`);
  }
  assert.deepEqual([...rows.keys()].filter((key) => !Object.hasOwn(OPTION_RULES, key)), [], 'rows for options the code does not know');
});

test('reads the option keys of an npm usage block', () => {
  const sample = 'Options:\n[-S|--save|--no-save|--save-dev] [--omit <dev|optional|peer>]\n[--no-audit] [-w|--workspace <workspace-name>]\n\n  -S|--save\n';
  assert.deepEqual(helpOptions(sample).sort(), ['audit', 'omit', 'save', 'save-dev', 'workspace']);
});
