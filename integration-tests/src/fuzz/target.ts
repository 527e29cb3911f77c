// What a fuzz target is, and the one property every target shares (issue 19): an input is either accepted
// or refused with one of the project's typed errors (TufError and its subclasses, each with a stable code).
// Anything else (a TypeError, a RangeError from a blown stack, a failed round trip) is a defect.
import type fc from 'fast-check';
import { TufError } from '@tufpm/models';

export interface FuzzTarget {
  /** the name `npm run fuzz -- --target` selects and the corpus directory is called */
  name: string;
  /** what it reads, for docs/reliability.md */
  reads: string;
  inputs: () => fc.Arbitrary<Uint8Array>;
  /** Runs the parsers on one input. Throws a TufError to refuse it, anything else for a defect. */
  check: (input: Uint8Array) => void | Promise<void>;
}

/** A property of the project's own code that did not hold (a round trip, two readers disagreeing). */
export class PropertyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyViolation';
  }
}

export function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new PropertyViolation(message);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Runs fn; a typed refusal counts as an answer (returned), any other throw propagates. */
export async function typed<T>(fn: () => T | Promise<T>): Promise<T | TufError> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof TufError) return error;
    throw error;
  }
}

export function isTyped(value: unknown): value is TufError {
  return value instanceof TufError;
}
