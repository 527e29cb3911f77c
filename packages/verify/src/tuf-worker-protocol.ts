// Messages between an install and its TUF worker thread (tuf-worker.ts): plain data only, so they cross
// the thread boundary by structured clone. Errors travel as their code and fields and are rebuilt as
// TufError / VerifyError on the install's side, so the same coded failure reaches the user.
import type { RootChainEntry } from '@tufpm/client';
import { TufError } from '@tufpm/models';
import { VerifyError } from './errors.js';
import type { RecordedClaim } from './lockfile.js';
import type { FoundTarget, TufSessionOptions, TufState } from './tuf-session.js';

export type WorkerRequest =
  | { id: number; type: 'open'; options: Omit<TufSessionOptions, 'clock'> }
  | { id: number; type: 'find'; targetPath: string }
  | { id: number; type: 'claims'; names: string[] }
  | { id: number; type: 'persist' }
  | { id: number; type: 'prefetch'; roles: string[] };

export interface OpenedSession {
  state: TufState;
  rootChain: RootChainEntry[];
}

export interface WireError {
  /** a TufError's code; absent for anything else (a bug or an I/O failure) */
  code?: string;
  name: string;
  message: string;
  verify?: { packageName?: string; version?: string; role?: string; attack: string; recovery: string };
}

export type WorkerResponse =
  | { id: number; ok: OpenedSession | FoundTarget | Array<[string, RecordedClaim]> | Array<[string, number | undefined]> | null | undefined }
  | { id: number; error: WireError };

export function errorToWire(error: unknown): WireError {
  if (error instanceof VerifyError) {
    const { packageName, version, role, attack, recovery } = error;
    return { code: error.code, name: error.name, message: error.message, verify: { packageName, version, role, attack, recovery } };
  }
  if (error instanceof TufError) return { code: error.code, name: error.name, message: error.message };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

export function errorFromWire(wire: WireError): Error {
  if (wire.code === undefined) return new Error(`TUF worker: ${wire.name}: ${wire.message}`);
  if (wire.verify !== undefined) {
    const details = Object.fromEntries(Object.entries(wire.verify).filter(([, v]) => v !== undefined)) as { attack: string; recovery: string };
    return new VerifyError(wire.code, wire.message, details);
  }
  const error = new TufError(wire.code, wire.message);
  error.name = wire.name;
  return error;
}

/** A FoundTarget as plain data (the TargetFile's fields the installers read). */
export function foundToWire(found: FoundTarget | undefined): FoundTarget | undefined {
  if (found === undefined) return undefined;
  const { length, hashes, custom } = found.target;
  return { ...found, target: { length, hashes, ...(custom === undefined ? {} : { custom }) } };
}
