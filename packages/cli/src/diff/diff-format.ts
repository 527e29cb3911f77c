import type { RoleKeys } from '@tufpm/verify';
import type { AuditorsChange } from './auditors-diff.js';
import type { LockfileDiff, LockPackageChange } from './lockfile-diff.js';
import { hasChanges, type KeysChange, type PackageChange, type PinsDiff, type Signer, type SignerChange, type StateChange } from './pins-diff.js';

// The two renderings of a PinsDiff people read: plain text for a terminal, Markdown for a pull-request
// comment. Scripts read `--json` (the PinsDiff itself). Warnings come first: they are what a reviewer must
// not miss (a downgrade, maintainer signing lost, keys replaced, a floor lowered).

export interface DiffLabels {
  /** what the base side is, e.g. `main (merge base 1a2b3c4)` */
  base: string;
  /** what the head side is, e.g. `working tree` */
  head: string;
  /** the lockfile's path, as shown */
  file: string;
}

const short = (keyid: string): string => keyid.slice(0, 8);
const keys = (k: RoleKeys | null): string => (k === null ? 'none' : `${k.threshold}-of-${k.keyids.length} [${k.keyids.map(short).join(', ')}]`);
const signed = (s: Signer | undefined): string => (s === undefined ? '' : `${s}-signed`);

function signerNote(c: PackageChange): string {
  if (c.fromSigner !== undefined && c.toSigner !== undefined && c.fromSigner !== c.toSigner) return `${signed(c.fromSigner)} -> ${signed(c.toSigner)}`;
  return signed(c.toSigner ?? c.fromSigner);
}

function stateLine(s: StateChange): string {
  const parts = [s.versionMoved === 'same' ? `v${s.to.version}` : `v${s.from.version} -> v${s.to.version}${s.versionMoved === 'down' ? ' (LOWERED)' : ''}`];
  if (s.role === 'root') {
    if (s.sha256Comparable === false) parts.push(`sha256 now of the root file: ${s.to.sha256 ?? '?'} (format 1 pinned another digest)`);
    else if (s.from.sha256 !== s.to.sha256) parts.push(`sha256 ${s.from.sha256?.slice(0, 16) ?? '?'}… -> ${s.to.sha256?.slice(0, 16) ?? '?'}…`);
  }
  if (s.keysChanged || s.thresholdChanged) {
    const k = (side: StateChange['from']): string => `${side.threshold ?? '?'}-of-${side.keyids.length} [${side.keyids.map(short).join(', ')}]`;
    parts.push(`keys ${k(s.from)} -> ${k(s.to)}`);
  }
  return `${s.role.padEnd(9)} ${parts.join(', ')}`;
}

function keysLine(k: KeysChange): string {
  const who = k.packages.length === 0 ? '' : k.role.endsWith('-*') ? ` (registry hash bins: ${k.packages.length} package(s))` : k.packages.length === 1 && k.packages[0] === k.role ? '' : ` (${k.packages.join(', ')})`;
  return `${k.role}${who}: ${keys(k.from)} -> ${keys(k.to)}`;
}

function auditorsLine(a: AuditorsChange): string {
  return `${a.source === 'file' ? 'tufpm-auditors.json' : 'auditors pinned (merkle.auditors)'}: ${keys(a.from)} -> ${a.to === null ? 'NONE' : keys(a.to)}`;
}

function hiddenLine(d: PinsDiff): string | undefined {
  const h = d.hidden;
  const parts: string[] = [];
  if (h.binResigns > 0) parts.push(`${h.binResigns} pin(s) whose hash bin was re-signed`);
  if (h.roleResigns > 0) parts.push(`${h.roleResigns} pin(s) whose maintainer role was re-signed`);
  if (h.yarnChecksums > 0) parts.push(`${h.yarnChecksums} Yarn checksum(s) re-recorded`);
  if (h.keysFirstRecorded > 0) parts.push(`${h.keysFirstRecorded} role key record(s) added`);
  return parts.length === 0 ? undefined : `not shown: ${parts.join(', ')} (same tarballs)`;
}

const NOT_PINNED = 'NOT PINNED: run tufpm-npm install / yarn install to record';
const pinNote = (c: LockPackageChange): string => (c.pinned === false ? NOT_PINNED : '');
const lockChanged = (l: LockfileDiff): boolean => l.base.present !== l.head.present || l.added.length + l.removed.length + l.upgraded.length + l.downgraded.length > 0;
const presence = (l: LockfileDiff): string => (l.base.present === l.head.present ? '' : l.head.present ? ' (added)' : ' (DELETED)');

/** The project lockfiles' registry package changes: what installs fetch, pinned or not. */
function lockfileLines(d: PinsDiff): string[] {
  const lines: string[] = [];
  for (const l of (d.lockfiles ?? []).filter(lockChanged)) {
    lines.push(`${l.file}${presence(l)}: ${l.added.length} added, ${l.removed.length} removed, ${l.upgraded.length} upgraded, ${l.downgraded.length} downgraded`);
    for (const c of l.added) lines.push(`  + ${c.name}@${c.to!}  ${pinNote(c)}`.trimEnd());
    for (const c of l.removed) lines.push(`  - ${c.name}@${c.from!}`);
    for (const c of l.upgraded) lines.push(`  ^ ${c.name} ${c.from!} -> ${c.to!}  ${pinNote(c)}`.trimEnd());
    for (const c of l.downgraded) lines.push(`  v ${c.name} ${c.from!} -> ${c.to!}  DOWNGRADE  ${pinNote(c)}`.trimEnd());
  }
  return lines;
}

function lockfileMarkdown(d: PinsDiff): string[] {
  const out: string[] = [];
  for (const l of (d.lockfiles ?? []).filter(lockChanged)) {
    const rows: string[] = [];
    const note = (c: LockPackageChange): string => (c.pinned === false ? `**not pinned**: run tufpm-npm install / yarn install to record` : c.pinned ? 'pinned' : '');
    for (const c of l.added) rows.push(`| added | ${code(c.name)} | | ${cell(c.to!)} | ${note(c)} |`);
    for (const c of l.removed) rows.push(`| removed | ${code(c.name)} | ${cell(c.from!)} | | |`);
    for (const c of l.upgraded) rows.push(`| upgraded | ${code(c.name)} | ${cell(c.from!)} | ${cell(c.to!)} | ${note(c)} |`);
    for (const c of l.downgraded) rows.push(`| **downgraded** | ${code(c.name)} | ${cell(c.from!)} | ${cell(c.to!)} | ${note(c)} |`);
    out.push(`Registry packages in ${code(l.file)}${presence(l)}:`, '');
    if (rows.length > 0) out.push('| change | package | from | to | pins |', '|---|---|---|---|---|', ...rows);
    out.push('');
  }
  return out;
}

function header(d: PinsDiff, labels: DiffLabels): string {
  const fmt = d.base.lockfileVersion !== undefined && d.head.lockfileVersion !== undefined && d.base.lockfileVersion !== d.head.lockfileVersion
    ? ` (format ${d.base.lockfileVersion} -> ${d.head.lockfileVersion})` : '';
  if (!d.base.present && !d.head.present) return `${labels.file}: absent on both sides`;
  if (!d.base.present) return `${labels.file}: added in ${labels.head} (absent in ${labels.base})`;
  if (!d.head.present) return `${labels.file}: DELETED in ${labels.head} (present in ${labels.base})`;
  return `${labels.file}: ${labels.base} -> ${labels.head}${fmt}`;
}

/** ADR 0026: a maintainer -> registry change the signed top-level targets recorded as a deliberate unclaim. */
function unclaimNote(s: SignerChange): string {
  return s.unclaimed === undefined ? '' : `  UNCLAIMED on purpose (unclaim record signed with the offline key in targets v${s.unclaimed.targetsVersion})`;
}

export function formatText(d: PinsDiff, labels: DiffLabels): string {
  const lines = [header(d, labels)];
  if (!hasChanges(d)) lines.push('no pin changes to review');
  for (const w of d.warnings) lines.push(`WARNING ${w.code}: ${w.message}`);
  const count = `${d.added.length} added, ${d.removed.length} removed, ${d.upgraded.length} upgraded, ${d.downgraded.length} downgraded`;
  if (d.added.length + d.removed.length + d.upgraded.length + d.downgraded.length > 0) {
    lines.push(`packages: ${count}`);
    for (const c of d.added) lines.push(`  + ${c.name}@${c.to}  ${signerNote(c)}`);
    for (const c of d.removed) lines.push(`  - ${c.name}@${c.from}`);
    for (const c of d.upgraded) lines.push(`  ^ ${c.name} ${c.from} -> ${c.to}  ${signerNote(c)}`);
    for (const c of d.downgraded) lines.push(`  v ${c.name} ${c.from} -> ${c.to}  ${signerNote(c)}  DOWNGRADE`);
  }
  for (const r of d.rehashed) lines.push(`  ! ${r.package} tarball sha512 ${r.from}… -> ${r.to}…`);
  lines.push(...lockfileLines(d));
  if (d.signers.length > 0) {
    lines.push('signers:');
    for (const s of d.signers) lines.push(`  ${s.name}: ${s.from}-signed -> ${s.to}-signed${unclaimNote(s)}`);
  }
  if (d.roleKeys.length > 0) {
    lines.push('role keys:');
    for (const k of d.roleKeys) lines.push(`  ${keysLine(k)}`);
  }
  if (d.claims.added.length + d.claims.removed.length > 0) {
    lines.push(`claims recorded: ${[...d.claims.added.map((n) => `+${n}`), ...d.claims.removed.map((n) => `-${n}`)].join(', ')}`);
  }
  if (d.state.length > 0) {
    lines.push('repository state:');
    for (const s of d.state) lines.push(`  ${stateLine(s)}`);
  }
  if (d.merkle !== undefined) {
    const tree = (t: { root: string; size: number } | null) => (t === null ? 'none' : `${t.root} (${t.size} leaves)`);
    lines.push(`Merkle tree pin: ${tree(d.merkle.from)} -> ${tree(d.merkle.to)}`);
  }
  for (const a of d.auditors ?? []) lines.push(auditorsLine(a));
  const hidden = hiddenLine(d);
  if (hidden !== undefined) lines.push(hidden);
  return `${lines.join('\n')}\n`;
}

/** Markdown table cells: pins hold printable strings only, but `|` and backticks would break the table. */
const cell = (text: string): string => text.replace(/[|`\\]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
// GitHub ends a table cell at `|` even inside a code span unless it is escaped
const code = (text: string): string => `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;

export function formatMarkdown(d: PinsDiff, labels: DiffLabels): string {
  const out = [`### tufpm: pin changes in ${code(labels.file)}`, '', cell(header(d, labels)), ''];
  if (!hasChanges(d)) out.push('No pin changes to review.', '');
  if (d.warnings.length > 0) {
    for (const w of d.warnings) out.push(`> **Warning ${w.code}**: ${cell(w.message)}`, '>');
    out.pop();
    out.push('');
  }
  const rows: string[] = [];
  for (const c of d.added) rows.push(`| added | ${code(c.name)} | | ${cell(c.to!)} | ${signerNote(c)} |`);
  for (const c of d.removed) rows.push(`| removed | ${code(c.name)} | ${cell(c.from!)} | | ${signerNote(c)} |`);
  for (const c of d.upgraded) rows.push(`| upgraded | ${code(c.name)} | ${cell(c.from!)} | ${cell(c.to!)} | ${signerNote(c)} |`);
  for (const c of d.downgraded) rows.push(`| **downgraded** | ${code(c.name)} | ${cell(c.from!)} | ${cell(c.to!)} | ${signerNote(c)} |`);
  for (const r of d.rehashed) rows.push(`| **new tarball, same version** | ${code(r.package)} | sha512 ${r.from}… | sha512 ${r.to}… | |`);
  if (rows.length > 0) out.push('| change | package | from | to | signed by |', '|---|---|---|---|---|', ...rows, '');
  out.push(...lockfileMarkdown(d));
  if (d.signers.length > 0) {
    out.push('| package | signer before | signer after |', '|---|---|---|');
    for (const s of d.signers) out.push(`| ${code(s.name)} | ${s.from} | ${s.to === 'maintainer' ? s.to : `**${s.to}**`}${unclaimNote(s)} |`);
    out.push('');
  }
  if (d.roleKeys.length > 0) {
    out.push('| role | signs | keys before | keys after |', '|---|---|---|---|');
    for (const k of d.roleKeys) {
      const signs = k.role.endsWith('-*') ? `${k.packages.length} registry-signed package(s)` : k.packages.map(code).join(', ');
      out.push(`| ${code(k.role)} | ${signs} | ${cell(keys(k.from))} | ${cell(keys(k.to))} |`);
    }
    out.push('');
  }
  if (d.claims.added.length + d.claims.removed.length > 0) {
    out.push(`Claims recorded: ${[...d.claims.added.map((n) => `+${code(n)}`), ...d.claims.removed.map((n) => `-${code(n)}`)].join(', ')}`, '');
  }
  if (d.state.length > 0) {
    out.push('| repository role | change |', '|---|---|');
    for (const s of d.state) out.push(`| ${s.role} | ${cell(stateLine(s).slice(10))} |`);
    out.push('');
  }
  if ((d.auditors ?? []).length > 0) {
    out.push('| auditors | before | after |', '|---|---|---|');
    for (const a of d.auditors!) out.push(`| ${a.source === 'file' ? code('tufpm-auditors.json') : `${code('merkle.auditors')} pin`} | ${cell(keys(a.from))} | ${cell(a.to === null ? '**none**' : keys(a.to))} |`);
    out.push('');
  }
  const hidden = hiddenLine(d);
  if (hidden !== undefined) out.push(`<sub>${cell(hidden)}</sub>`, '');
  return `${out.join('\n')}`;
}
