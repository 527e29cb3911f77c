import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Arborist from '@npmcli/arborist';
import { TufError } from '@tufpm/models';
import { DEFAULT_LOCKFILE_NAME, readLockfile, rootDigestKind, type InstallVerifier, type VerifierSummary } from '@tufpm/verify';
import { unsafeSettings, type NpmConfig } from './config.js';
import { arboristOptions, openVerifier, treeVerifyOptions } from './install.js';
import { verifyTree } from './tree-verify.js';
import type { Progress } from './progress.js';
import { toReport, type FailureReport } from './report.js';

export interface StatusResult {
  prefix: string;
  registry: string;
  trustedRoot: string;
  lockfile: string;
  /**
   * What tufpm-lock.json pins, read without any network access. root.sha256: of the root file (what
   * operators publish); null for a format-1 file, which held another digest (the next install rewrites it).
   */
  pins: { root: { version: number; sha256: string | null }; timestamp: number; snapshot: number; packages: number } | null;
  /** The freshly refreshed repository state (null when the refresh failed: see `error`). */
  current: VerifierSummary | null;
  error: FailureReport | null;
  unsafe: string[];
  /**
   * Who signs the registry packages of package-lock.json under the current signed metadata (null without a
   * lockfile, or when the refresh failed). `failed` lists the packages that did not verify, with their code.
   */
  packages: { total: number; maintainerSigned: number; registrySigned: number; failed: Array<{ package: string; code: string }> } | null;
  policy: { requireMaintainerSigned: true | string[]; minimumThreshold: number };
}

async function signerCounts(config: NpmConfig, verifier: InstallVerifier, progress: Progress): Promise<StatusResult['packages']> {
  if (!existsSync(join(config.prefix, 'package-lock.json')) && !existsSync(join(config.prefix, 'npm-shrinkwrap.json'))) return null;
  const tree = await new Arborist(arboristOptions(config)).loadVirtual();
  const result = await verifyTree(tree, verifier, treeVerifyOptions(config, 'verify', progress));
  const signed = [...result.signed.values()];
  const maintainerSigned = signed.filter((t) => t.maintainerSigned).length;
  const failed = result.failures.map((f) => {
    const r = toReport(f);
    return { package: r.package === undefined ? '' : `${r.package}${r.version === undefined ? '' : `@${r.version}`}`, code: f.code };
  });
  return { total: signed.length + failed.length, maintainerSigned, registrySigned: signed.length - maintainerSigned, failed };
}

/** `tufpm-npm status`: pins from tufpm-lock.json plus the current signed state and its expiries. */
export async function runStatus(config: NpmConfig, progress: Progress): Promise<StatusResult> {
  const lockfile = join(config.prefix, DEFAULT_LOCKFILE_NAME);
  const pins = await readLockfile(lockfile);
  let current: VerifierSummary | null = null;
  let error: FailureReport | null = null;
  let packages: StatusResult['packages'] = null;
  try {
    const verifier = await openVerifier(config, progress);
    current = verifier.summary();
    packages = await signerCounts(config, verifier, progress);
  } catch (caught) {
    // A refresh failure is part of the status (expired timestamp, rollback below the pins, ...).
    if (!(caught instanceof TufError)) throw caught;
    error = toReport(caught);
  } finally {
    progress.done();
  }
  return {
    prefix: config.prefix,
    registry: config.registry,
    trustedRoot: config.tufpmRoot,
    lockfile,
    pins: pins
      ? { root: { version: pins.root.version, sha256: rootDigestKind(pins) === 'file' ? pins.root.sha256 : null }, timestamp: pins.timestamp.version, snapshot: pins.snapshot.version, packages: pins.packages.size }
      : null,
    current,
    error,
    unsafe: unsafeSettings(config),
    packages,
    policy: { requireMaintainerSigned: config.requireMaintainerSigned, minimumThreshold: config.minimumThreshold },
  };
}

export function formatStatus(status: StatusResult): string {
  const lines = [`project:   ${status.prefix}`, `registry:  ${status.registry}`, `root file: ${status.trustedRoot}`];
  const c = status.current;
  if (c) {
    lines.push(`trusted:   root v${c.root.version} (expires ${c.root.expires}), timestamp v${c.timestamp.version} (expires ${c.timestamp.expires})`);
    lines.push(`           snapshot v${c.snapshot.version} (expires ${c.snapshot.expires}), targets v${c.targets.version} (expires ${c.targets.expires})`);
  }
  const p = status.pins;
  lines.push(p ? `pins:      ${status.lockfile}: root v${p.root.version}, timestamp v${p.timestamp}, snapshot v${p.snapshot}, ${p.packages} package(s)` : `pins:      none (${status.lockfile} does not exist yet)`);
  const k = status.packages;
  if (k) {
    const failed = k.failed.length > 0 ? `, ${k.failed.length} failed verification (${k.failed.map((f) => `${f.package} ${f.code}`).join(', ')})` : '';
    lines.push(`packages:  ${k.total} in package-lock.json: ${k.maintainerSigned} maintainer-signed, ${k.registrySigned} registry-signed${failed}`);
  }
  const required = status.policy.requireMaintainerSigned === true ? ['every package'] : status.policy.requireMaintainerSigned;
  lines.push(required.length === 0 ? 'policy:    no package has to be maintainer-signed' : `policy:    maintainer-signed, at least ${status.policy.minimumThreshold} signature(s): ${required.join(', ')}`);
  if (status.unsafe.length > 0) lines.push(`UNSAFE:    ${status.unsafe.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
