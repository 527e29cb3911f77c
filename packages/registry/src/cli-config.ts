import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { RegistryError } from './errors.js';

/** `tufpm-registry --config <file.json>`: the flags' settings in a file; flags given as well win. */
export interface RegistryFileConfig {
  dir?: string;
  port?: number;
  host?: string;
  publicUrl?: string;
  keys?: string;
  quiet?: boolean;
  logFormat?: 'text' | 'json';
}

const KEYS: Record<keyof RegistryFileConfig, 'string' | 'number' | 'boolean'> = {
  dir: 'string', port: 'number', host: 'string', publicUrl: 'string', keys: 'string', quiet: 'boolean', logFormat: 'string',
};

function bad(file: string, message: string): RegistryError {
  return new RegistryError('REGISTRY_BAD_REQUEST', `${file}: ${message}`);
}

/** Strict: unknown keys and wrong types are refused (a typo must not silently drop --keys). Paths are relative to the file. */
export async function readRegistryConfig(file: string): Promise<RegistryFileConfig> {
  const bytes = await readFile(file);
  if (bytes.length > 1024 * 1024) throw bad(file, 'over 1 MiB');
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new RegistryError('REGISTRY_BAD_REQUEST', `${file}: not JSON`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad(file, 'must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    const type = KEYS[k as keyof RegistryFileConfig];
    if (type === undefined) throw bad(file, `unknown setting ${JSON.stringify(k)} (known: ${Object.keys(KEYS).join(', ')})`);
    if (typeof v !== type) throw bad(file, `${k} must be a ${type}`);
    out[k] = (k === 'dir' || k === 'keys') && !isAbsolute(v as string) ? resolve(dirname(file), v as string) : v;
  }
  if (out['logFormat'] !== undefined && out['logFormat'] !== 'text' && out['logFormat'] !== 'json') throw bad(file, 'logFormat must be "text" or "json"');
  return out as RegistryFileConfig;
}

/** One log line: plain text, or a JSON object with an ISO timestamp (for log shippers). */
export function logLine(format: 'text' | 'json', level: 'info' | 'error', msg: string): string {
  return format === 'json' ? `${JSON.stringify({ time: new Date().toISOString(), level, msg })}\n` : `${msg}\n`;
}
