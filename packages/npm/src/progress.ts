import type { Output } from './report.js';

/**
 * Verification progress on stderr. On a terminal one line is rewritten in place; otherwise a line is
 * printed at each tenth of the way, so CI logs show progress on large trees without thousands of lines.
 */
export class Progress {
  private lastTenth = -1;
  private active = false;

  constructor(
    private readonly out: Output,
    private readonly enabled: boolean,
  ) {}

  update(phase: string, done: number, total: number, name?: string): void {
    if (!this.enabled || total === 0) return;
    if (this.out.stderrIsTTY) {
      const label = name ? ` ${name.slice(0, 40)}` : '';
      this.out.stderr(`\r\x1b[2Ktufpm-npm ${phase} ${done}/${total}${label}`);
      this.active = true;
      return;
    }
    const tenth = Math.floor((done * 10) / total);
    if (tenth !== this.lastTenth) {
      this.lastTenth = tenth;
      this.out.stderr(`tufpm-npm ${phase} ${done}/${total}\n`);
    }
  }

  /** Ends the current phase (clears the in-place line). */
  done(): void {
    if (this.active) this.out.stderr('\r\x1b[2K');
    this.active = false;
    this.lastTenth = -1;
  }
}
