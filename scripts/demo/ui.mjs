// Output helpers for the demo: section headers, aligned tables, durations. Plain text; colour only when
// stdout is a terminal and NO_COLOR is unset, so logs and the CI test see the same words.

const useColor = process.stdout.isTTY === true && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
const paint = (code) => (text) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : String(text));

export const bold = paint('1');
export const dim = paint('2');
export const green = paint('32');
export const red = paint('31');
export const cyan = paint('36');

export const OK = green('✓');
export const NO = red('✗');

export class Ui {
  /** @param {{ quiet?: boolean }} opts quiet: --json mode, human text suppressed */
  constructor(opts = {}) {
    this.quiet = opts.quiet === true;
    this.section = 0;
  }

  line(text = '') {
    if (!this.quiet) process.stdout.write(`${text}\n`);
  }

  header(title) {
    this.section += 1;
    this.line();
    this.line(bold(cyan(`== ${this.section}. ${title} ${'='.repeat(Math.max(3, 66 - title.length))}`)));
  }

  /** Label / value pairs, labels padded to one column (the same for every call, so blocks line up). */
  facts(pairs) {
    const width = Math.max(15, ...pairs.map(([label]) => label.length));
    for (const [label, value] of pairs) this.line(`  ${label.padEnd(width)}  ${value}`);
  }

  /** Lines of a child's output, indented and marked with where they came from. */
  quote(prefix, lines) {
    for (const text of lines) this.line(`  ${dim(`${prefix} |`)} ${text}`);
  }

  /** Rows of cells; column widths from the visible text (colour codes excluded). */
  table(head, rows) {
    const visible = (s) => String(s).replace(/\u001b\[[0-9;]*m/g, '');
    const widths = head.map((h, i) => Math.max(visible(h).length, ...rows.map((r) => visible(r[i]).length)));
    const fmt = (cells) => `  ${cells.map((c, i) => (i === cells.length - 1 ? String(c) : String(c) + ' '.repeat(widths[i] - visible(c).length))).join('  ')}`;
    this.line(bold(fmt(head)));
    for (const row of rows) this.line(fmt(row));
  }
}

export function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
