import type { Document } from 'bson';
import { evalExpr } from 'mingo/core';
import { Lazy } from 'mingo/lazy';
import type { Iterator } from 'mingo/lazy';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as queryOperators from 'mingo/operators/query';
import type { Options } from 'mingo/types';
import { ensureArray, flatten, isNil, isRegExp, resolve, typeOf } from 'mingo/util';
import { canonicalKey } from '../values/canonical.js';
import type { Collation } from './collation.js';
import { collatorFor } from './collator.js';
import type { Collator } from './collator.js';

/**
 * mingo compares strings by code point (only its $sort knows collations, and only for top-level
 * strings), so the operators whose results a collation changes are replaced by ones that use the
 * command's collation (carried in mingo's `collation` option) and fall back to mingo's own without
 * one: the comparison query operators, $sort and $group.
 */
function activeCollator(options: Options): Collator | undefined {
  // mingo's updater passes an empty collation document when it was given none.
  const collation = options.collation as unknown as Collation | undefined;
  return collation?.locale ? collatorFor(collation) : undefined;
}

type QueryOperator = (selector: string, value: unknown, options: Options) => (document: Document) => boolean;
type Predicate = (value: unknown, operand: unknown, collator: Collator, depth: number) => boolean;

function collated(original: QueryOperator, predicate: Predicate): QueryOperator {
  return (selector, operand, options) => {
    const collator = activeCollator(options);
    if (!collator) return original(selector, operand, options);
    const depth = selector.split('.').length - 1;
    return (document) => predicate(resolve(document, selector, { unwrapArray: true }), operand, collator, depth);
  };
}

const equals: Predicate = (value, operand, collator, depth) => {
  if (collator.equals(value, operand) || (isNil(value) && isNil(operand))) return true;
  if (!Array.isArray(value)) return false;
  return (
    value.some((item) => collator.equals(item, operand)) ||
    flatten(value, depth).some((item) => collator.equals(item, operand))
  );
};

const among: Predicate = (value, operand, collator) => {
  const candidates = operand as unknown[];
  if (isNil(value)) return candidates.some((candidate) => candidate === null);
  const values = ensureArray(value);
  return candidates.some((candidate) =>
    isRegExp(candidate)
      ? values.some((item) => typeof item === 'string' && candidate.test(item))
      : collator.equals(value, candidate) || values.some((item) => collator.equals(item, candidate)),
  );
};

function ordered(accept: (order: number) => boolean): Predicate {
  return (value, operand, collator) =>
    ensureArray(value).some((item) => typeOf(item) === typeOf(operand) && accept(collator.compare(item, operand)));
}

const original = queryOperators as unknown as Record<string, QueryOperator>;

function checkedAmong(name: '$in' | '$nin'): QueryOperator {
  const base = original[name] as QueryOperator;
  const matcher = collated(base, among);
  // A non-array operand gets mingo's own error.
  return (selector, operand, options) =>
    Array.isArray(operand) ? matcher(selector, operand, options) : base(selector, operand, options);
}

function negated(name: '$ne' | '$nin', operator: QueryOperator): QueryOperator {
  return (selector, operand, options) => {
    if (!activeCollator(options)) return (original[name] as QueryOperator)(selector, operand, options);
    const test = operator(selector, operand, options);
    return (document) => !test(document);
  };
}

const $eq = collated(original.$eq as QueryOperator, equals);
const $in = checkedAmong('$in');

/** The query operators that compare strings, collation-aware. */
export const collatedQueryOperators = {
  $eq,
  $ne: negated('$ne', $eq),
  $in,
  $nin: negated('$nin', $in),
  $gt: collated(
    original.$gt as QueryOperator,
    ordered((order) => order > 0),
  ),
  $gte: collated(
    original.$gte as QueryOperator,
    ordered((order) => order >= 0),
  ),
  $lt: collated(
    original.$lt as QueryOperator,
    ordered((order) => order < 0),
  ),
  $lte: collated(
    original.$lte as QueryOperator,
    ordered((order) => order <= 0),
  ),
};

/** The value a document sorts by for one field: an array sorts by its least element ascending, its greatest descending. */
function sortValue(document: Document, field: string, direction: number, collator: Collator): unknown {
  const value = resolve(document, field);
  if (!Array.isArray(value) || value.length === 0) return value;
  const items = flatten(value, 1);
  return items.reduce((best, item) => (collator.compare(item, best) * direction < 0 ? item : best));
}

function $sort(collection: Iterator, sortKeys: Document, options: Options): Iterator {
  const collator = activeCollator(options);
  const plainDirections = Object.values(sortKeys).every((direction) => direction === 1 || direction === -1);
  if (!collator || !plainDirections) return pipelineOperators.$sort(collection, sortKeys, options);
  const fields = Object.entries(sortKeys) as [string, number][];
  const keyed = collection.collect<Document>().map((document) => ({
    document,
    values: fields.map(([field, direction]) => sortValue(document, field, direction, collator)),
  }));
  keyed.sort((a, b) => {
    for (const [i, [, direction]] of fields.entries()) {
      const order = collator.compare(a.values[i], b.values[i]);
      if (order !== 0) return order * direction;
    }
    return 0;
  });
  return Lazy(keyed.map((entry) => entry.document));
}

/**
 * $group under a collation: documents whose group keys are equal under it form one group (its
 * `_id` the key of the first), each group's accumulators computed by mingo's own $group.
 */
function $group(collection: Iterator, expression: Document, options: Options): Iterator {
  const collator = activeCollator(options);
  if (!collator) return pipelineOperators.$group(collection, expression as { _id: unknown }, options);
  const groups = new Map<string, { id: unknown; documents: Document[] }>();
  for (const document of collection.collect<Document>()) {
    const id = evalExpr(document, expression._id, options) ?? null;
    const key = canonicalKey(collator.key(id));
    const group = groups.get(key);
    if (group) group.documents.push(document);
    else groups.set(key, { id, documents: [document] });
  }
  const accumulators = { ...expression, _id: null };
  const results = [...groups.values()].map(({ id, documents }) => {
    const [result] = pipelineOperators.$group(Lazy(documents), accumulators, options).collect<Document>();
    return { ...result, _id: id };
  });
  return Lazy(results);
}

/** The pipeline stages that order or group by value, collation-aware. */
export const collatedPipelineOperators = { $sort, $group };
