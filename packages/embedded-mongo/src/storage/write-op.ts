import type { StoredDocument } from './collection.js';

export type WriteKind = 'insert' | 'update' | 'replace' | 'delete';

/** One document write: the document's state before and after (null when absent). */
export interface WriteOp {
  readonly kind: WriteKind;
  readonly db: string;
  readonly coll: string;
  readonly before: StoredDocument | null;
  readonly after: StoredDocument | null;
  /** An inserted document's bytes as the client sent them (its `_id` anywhere), when it sent one. */
  readonly received?: Uint8Array;
}

export function namespaceOf(db: string, coll: string): string {
  return `${db}.${coll}`;
}
