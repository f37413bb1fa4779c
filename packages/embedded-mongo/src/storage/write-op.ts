import type { StoredDocument } from './collection.js';

export type WriteKind = 'insert' | 'update' | 'replace' | 'delete';

/** One document write: the document's state before and after (null when absent). */
export interface WriteOp {
  readonly kind: WriteKind;
  readonly db: string;
  readonly coll: string;
  readonly before: StoredDocument | null;
  readonly after: StoredDocument | null;
}

export function namespaceOf(db: string, coll: string): string {
  return `${db}.${coll}`;
}
