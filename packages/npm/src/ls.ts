import Arborist, { type ArboristNode } from '@npmcli/arborist';
import type { NpmConfig } from './config.js';
import { arboristOptions, openVerifier, treeVerifyOptions } from './install.js';
import type { Progress } from './progress.js';
import { toReport, type Output } from './report.js';
import { verifyTree } from './tree-verify.js';

interface LsEntry {
  name: string;
  version: string;
  /** who signs it under the current TUF metadata, or the failure code */
  signer: 'maintainer' | 'registry' | 'workspace' | 'bundled' | 'unsafe' | 'unverified';
  role?: string;
  code?: string;
  problems: string[];
  dependencies: LsEntry[];
}

function nodeKey(node: ArboristNode): string {
  return `${node.packageName}@${node.version}`;
}

/**
 * `tufpm-npm ls`: npm ls's tree (direct dependencies, or every level with --all / --depth), each registry
 * package checked against the current signed metadata and the pins as `verify` checks package-lock.json: the
 * integrity the install recorded (node_modules/.package-lock.json) must be the signed sha512. The files on
 * disk are not re-hashed. Exit 1 on a missing or invalid dependency (as npm ls) or a failed verification.
 */
export async function runLs(config: NpmConfig, filter: string[], io: { out: Output; json: boolean }, progress: Progress): Promise<number> {
  const verifier = await openVerifier(config, progress);
  progress.done();
  const tree = await new Arborist(arboristOptions(config)).loadActual();
  const result = await verifyTree(tree, verifier, treeVerifyOptions(config, 'verify'));
  const failed = new Map<string, string>();
  for (const f of result.failures) {
    const r = toReport(f);
    if (r.package !== undefined) failed.set(`${r.package}@${r.version ?? ''}`, r.code);
  }
  const all = config.flat['all'] === true;
  const depthSetting = config.flat['depth'];
  const maxDepth = typeof depthSetting === 'number' ? depthSetting : all ? Infinity : 0;
  let problems = 0;

  const entry = (node: ArboristNode, depth: number, seen: Set<ArboristNode>): LsEntry => {
    const key = nodeKey(node);
    const signed = result.signed.get(key);
    const code = failed.get(key);
    const target = node.isLink ? (node.target ?? node) : node;
    const signer: LsEntry['signer'] = code !== undefined ? 'unverified' : signed ? (signed.maintainerSigned ? 'maintainer' : 'registry')
      : target.isWorkspace ? 'workspace' : node.inDepBundle ? 'bundled' : result.unsafeAllowed.includes(key) || result.exempt.includes(key) ? 'unsafe' : 'unverified';
    const own: string[] = [];
    const children: LsEntry[] = [];
    for (const edge of [...target.edgesOut.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (edge.type === 'peerOptional' && edge.to === null) continue;
      if (edge.to === null) {
        if (edge.type !== 'optional') own.push(`missing: ${edge.name}@${edge.spec}`);
        continue;
      }
      if (!edge.valid) own.push(`invalid: ${edge.name}@${edge.to.version} does not satisfy ${edge.spec}`);
      if (depth < maxDepth && !seen.has(edge.to)) children.push(entry(edge.to, depth + 1, new Set([...seen, edge.to])));
      else if (depth >= maxDepth) continue;
    }
    problems += own.length + (signer === 'unverified' && !node.isProjectRoot ? 1 : 0);
    return { name: node.packageName, version: node.version, signer, ...(signed ? { role: signed.role } : {}), ...(code ? { code } : {}), problems: own, dependencies: children };
  };

  const top: LsEntry[] = [];
  for (const edge of [...tree.edgesOut.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (filter.length > 0 && !filter.some((f) => f === edge.name || f.startsWith(`${edge.name}@`))) continue;
    if (edge.to === null) {
      if (edge.type !== 'optional' && edge.type !== 'peerOptional') {
        problems += 1;
        top.push({ name: edge.name, version: '', signer: 'unverified', problems: [`missing: ${edge.name}@${edge.spec}`], dependencies: [] });
      }
      continue;
    }
    top.push(entry(edge.to, 1, new Set([edge.to])));
  }

  if (io.json) {
    io.out.stdout(`${JSON.stringify({ name: tree.packageName, version: tree.version, dependencies: top, problems }, null, 2)}\n`);
  } else {
    const lines = [`${tree.packageName}@${tree.version} ${config.prefix}`];
    const walk = (entries: LsEntry[], indent: string): void => {
      entries.forEach((e, i) => {
        const last = i === entries.length - 1;
        const what = e.signer === 'unverified' ? `UNVERIFIED${e.code ? ` ${e.code}` : ''}` : e.signer === 'maintainer' || e.signer === 'registry' ? `${e.signer}-signed` : e.signer;
        const issue = e.problems.length > 0 ? ` ${e.problems.join('; ')}` : '';
        lines.push(`${indent}${last ? '└──' : '├──'} ${e.name}${e.version ? `@${e.version}` : ''} (${what})${issue}`);
        walk(e.dependencies, `${indent}${last ? '    ' : '│   '}`);
      });
    };
    walk(top, '');
    io.out.stdout(`${lines.join('\n')}\n`);
  }
  return problems === 0 ? 0 : 1;
}
