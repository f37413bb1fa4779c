import type { Document } from 'bson';
import { collatorFor } from '../query/collator.js';
import type { Collator } from '../query/collator.js';
import { compileFilter } from '../query/mingo.js';
import type { Filter } from '../query/mingo.js';
import { canonicalKey } from '../values/canonical.js';
import { pathValues } from '../values/paths.js';
import type { IndexSpec } from './index-spec.js';

/** One indexed value of a document: its canonical key and the value itself (for error messages). */
interface KeyPart {
  readonly key: string;
  readonly value: unknown;
}

/** Lookups beyond this many key combinations fall back to a collection scan. */
const MAX_LOOKUP_COMBINATIONS = 1000;

/**
 * The entries of one secondary index. For an index on (f1, ..., fn) it keeps n maps, the i-th from
 * the canonical key of the values of f1..fi to the ids of the documents holding them, so that an
 * equality on any leading prefix of the fields is a map lookup. Array values index each element.
 */
export class IndexTable {
  spec: IndexSpec;
  private readonly levels: Map<string, Set<string>>[];
  private readonly partialFilter: Filter | undefined;
  /** An index with a collation keys strings by their class under it (so 'a' and 'A' share an entry at strength 2). */
  private readonly collator: Collator | undefined;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.levels = spec.fields.map(() => new Map<string, Set<string>>());
    this.partialFilter = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression) : undefined;
    this.collator = spec.collation && collatorFor(spec.collation);
  }

  private keyOf(value: unknown): string {
    return canonicalKey(this.collator ? this.collator.key(value) : value);
  }

  /** Usable for answering equality queries: every document has entries in it. */
  get coversAllDocuments(): boolean {
    return this.partialFilter === undefined && !this.spec.sparse;
  }

  add(id: string, document: Document, view: Document): void {
    for (const tuple of this.tuples(document, view)) {
      this.levels.forEach((level, depth) => {
        const prefix = joinKeys(tuple, depth + 1);
        const ids = level.get(prefix);
        if (ids) ids.add(id);
        else level.set(prefix, new Set([id]));
      });
    }
  }

  remove(id: string, document: Document, view: Document): void {
    for (const tuple of this.tuples(document, view)) {
      this.levels.forEach((level, depth) => {
        const prefix = joinKeys(tuple, depth + 1);
        const ids = level.get(prefix);
        ids?.delete(id);
        if (ids?.size === 0) level.delete(prefix);
      });
    }
  }

  /**
   * The ids of documents whose leading fields equal one of the given values: valuesPerField[i]
   * lists the values accepted for field i. Undefined when there are too many combinations.
   */
  lookup(valuesPerField: readonly (readonly unknown[])[]): Set<string> | undefined {
    const keysPerField = valuesPerField.map((values) => [...new Set(values.map((value) => this.keyOf(value)))]);
    const combinations = keysPerField.reduce((count, keys) => count * keys.length, 1);
    if (combinations > MAX_LOOKUP_COMBINATIONS || keysPerField.length === 0) return undefined;
    const level = this.levels[keysPerField.length - 1];
    const found = new Set<string>();
    for (const combination of cartesian(keysPerField.map((keys) => keys.map((key) => ({ key, value: undefined }))))) {
      for (const id of level?.get(joinKeys(combination, combination.length)) ?? []) found.add(id);
    }
    return found;
  }

  /** The key value another document (not ignored) already holds in this unique index, if any. */
  conflict(document: Document, view: Document, ignore: (id: string) => boolean): Document | undefined {
    if (!this.spec.unique) return undefined;
    const fullLevel = this.levels[this.levels.length - 1];
    for (const tuple of this.tuples(document, view)) {
      const holders = fullLevel?.get(joinKeys(tuple, tuple.length));
      for (const id of holders ?? []) {
        if (!ignore(id)) return this.keyValue(tuple);
      }
    }
    return undefined;
  }

  /** The index keys of a document; none when a sparse or partial index leaves it out. */
  tuples(document: Document, view: Document): KeyPart[][] {
    if (this.partialFilter && !this.partialFilter.test(view)) return [];
    const perField = this.spec.fields.map((field) => pathValues(document, field));
    if (this.spec.sparse && perField.every((values) => values.length === 0)) return [];
    return cartesian(
      perField.map((values) =>
        values.length === 0
          ? [{ key: canonicalKey(null), value: null }]
          : dedupe(values.map((value) => ({ key: this.keyOf(value), value }))),
      ),
    );
  }

  keyValue(tuple: readonly KeyPart[]): Document {
    const keyValue: Document = {};
    this.spec.fields.forEach((field, i) => {
      keyValue[field] = tuple[i]?.value ?? null;
    });
    return keyValue;
  }
}

function joinKeys(tuple: readonly KeyPart[], length: number): string {
  let joined = tuple[0]?.key ?? '';
  for (let i = 1; i < length; i++) joined += `|${tuple[i]?.key ?? ''}`;
  return joined;
}

function dedupe(parts: KeyPart[]): KeyPart[] {
  const seen = new Set<string>();
  return parts.filter((part) => !seen.has(part.key) && seen.add(part.key));
}

function cartesian(lists: readonly (readonly KeyPart[])[]): KeyPart[][] {
  return lists.reduce<KeyPart[][]>(
    (tuples, list) => tuples.flatMap((tuple) => list.map((part) => [...tuple, part])),
    [[]],
  );
}
