import { compare as bsonOrder, isEqual } from 'mingo/util';
import { isPlainObject } from '../values/kinds.js';
import type { Collation } from './collation.js';
import { languageTag } from './collation.js';

/**
 * ICU comparison levels as the platform's Intl.Collator offers them: sensitivity 'base' is the
 * primary level, 'accent' the secondary, 'case' the primary plus the case level, 'variant' the
 * tertiary (Intl has no quaternary or identical level: see {@link Collator.compareStrings}).
 */
function sensitivity(collation: Collation): Intl.CollatorOptions['sensitivity'] {
  if (collation.strength === 1) return collation.caseLevel ? 'case' : 'base';
  if (collation.strength === 2) return 'accent';
  return 'variant';
}

function intlCollator(collation: Collation, ignorePunctuation: boolean): Intl.Collator {
  return new Intl.Collator(languageTag(collation.locale), {
    sensitivity: sensitivity(collation),
    numeric: collation.numericOrdering,
    caseFirst: collation.caseFirst === 'off' ? 'false' : collation.caseFirst,
    // V8 implements ignorePunctuation as ICU's alternate=shifted (with the default maxVariable 'punct').
    ignorePunctuation,
  });
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Compares strings, and values holding strings, under one collation. */
export class Collator {
  readonly collation: Collation;
  private readonly primary: Intl.Collator;
  /** At strength 4 with alternate 'shifted', punctuation ignored at levels 1-3 still tells strings apart. */
  private readonly quaternary: Intl.Collator | undefined;
  /** One string of each class of equal strings seen so far, in collation order. */
  private readonly representatives: string[] = [];
  private readonly representativeOf = new Map<string, string>();

  constructor(collation: Collation) {
    this.collation = collation;
    const shifted = collation.alternate === 'shifted';
    this.primary = intlCollator(collation, shifted);
    this.quaternary = shifted && collation.strength >= 4 ? intlCollator(collation, false) : undefined;
  }

  compareStrings(a: string, b: string): number {
    const order = this.primary.compare(a, b);
    if (order !== 0) return order;
    if (this.quaternary) {
      const fourth = this.quaternary.compare(a, b);
      if (fourth !== 0) return fourth;
    }
    // The identical level: strings equal at every other level are told apart by their code points (NFD).
    return this.collation.strength === 5 ? byCodePoint(a.normalize('NFD'), b.normalize('NFD')) : 0;
  }

  /** MongoDB's order of values (mingo's BSON order), with strings (also nested ones) compared under the collation. */
  compare(a: unknown, b: unknown): number {
    if (typeof a === 'string' && typeof b === 'string') return this.compareStrings(a, b);
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const order = this.compare(a[i], b[i]);
        if (order !== 0) return order;
      }
      return a.length - b.length;
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      const keysA = Object.keys(a);
      const keysB = Object.keys(b);
      for (let i = 0; i < Math.min(keysA.length, keysB.length); i++) {
        const keyA = keysA[i] as string;
        const keyB = keysB[i] as string;
        const order = byCodePoint(keyA, keyB) || this.compare(a[keyA], b[keyB]);
        if (order !== 0) return order;
      }
      return keysA.length - keysB.length;
    }
    return bsonOrder(a, b);
  }

  equals(a: unknown, b: unknown): boolean {
    if (typeof a === 'string' && typeof b === 'string') return this.compareStrings(a, b) === 0;
    if (Array.isArray(a) && Array.isArray(b)) {
      return a.length === b.length && a.every((item, i) => this.equals(item, b[i]));
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      const keysA = Object.keys(a);
      const keysB = Object.keys(b);
      return keysA.length === keysB.length && keysA.every((key, i) => key === keysB[i] && this.equals(a[key], b[key]));
    }
    return isEqual(a, b);
  }

  /**
   * The value with every string replaced by the first string seen that is equal to it under the
   * collation: two values are equal under the collation exactly when their keys are equal, so
   * keys can be hashed (index entries, group keys, distinct values).
   */
  key<T>(value: T): T {
    if (typeof value === 'string') return this.representative(value) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => this.key(item)) as T;
    if (isPlainObject(value)) {
      return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, this.key(item)])) as T;
    }
    return value;
  }

  private representative(text: string): string {
    const known = this.representativeOf.get(text);
    if (known !== undefined) return known;
    // Equal strings are adjacent in collation order, and only one of each class is kept: a binary search finds it.
    let low = 0;
    let high = this.representatives.length;
    let found: string | undefined;
    while (low < high && found === undefined) {
      const middle = (low + high) >> 1;
      const candidate = this.representatives[middle] as string;
      const order = this.compareStrings(candidate, text);
      if (order === 0) found = candidate;
      else if (order < 0) low = middle + 1;
      else high = middle;
    }
    if (found === undefined) {
      this.representatives.splice(low, 0, text);
      found = text;
    }
    this.representativeOf.set(text, found);
    return found;
  }
}

const collators = new Map<string, Collator>();

/** The collator of a collation, shared by every user of the same collation. */
export function collatorFor(collation: Collation): Collator {
  const id = JSON.stringify(collation);
  let collator = collators.get(id);
  if (!collator) {
    collator = new Collator(collation);
    collators.set(id, collator);
  }
  return collator;
}
