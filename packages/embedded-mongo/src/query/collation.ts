import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { isPlainObject } from '../values/kinds.js';
import { numericValue } from '../values/view.js';

/**
 * A collation in the full form mongod stores and lists (every field present, the locale's
 * defaults filled in). The simple (binary) collation is not a Collation: it is `undefined`.
 */
export interface Collation {
  readonly locale: string;
  readonly caseLevel: boolean;
  readonly caseFirst: 'upper' | 'lower' | 'off';
  readonly strength: 1 | 2 | 3 | 4 | 5;
  readonly numericOrdering: boolean;
  readonly alternate: 'non-ignorable' | 'shifted';
  readonly maxVariable: 'punct' | 'space';
  readonly normalization: boolean;
  readonly backwards: boolean;
  readonly version: string;
}

/** The ICU version mongod 7.0 reports in a collation's `version`. */
export const COLLATION_VERSION = '57.1';

const BOOLEAN_FIELDS = ['caseLevel', 'numericOrdering', 'normalization', 'backwards'] as const;
const ENUM_FIELDS: Readonly<Record<string, readonly string[]>> = {
  caseFirst: ['upper', 'lower', 'off'],
  alternate: ['non-ignorable', 'shifted'],
  maxVariable: ['punct', 'space'],
};
const KNOWN_FIELDS = new Set(['locale', 'strength', 'version', ...BOOLEAN_FIELDS, ...Object.keys(ENUM_FIELDS)]);

/** ICU's `@collation=` keywords as BCP 47 `-u-co-` values (those differing from the ICU name). */
const COLLATION_KEYWORDS: Readonly<Record<string, string>> = {
  phonebook: 'phonebk',
  traditional: 'trad',
  dictionary: 'dict',
  gb2312han: 'gb2312',
};

function refused(message: string): CommandError {
  return new CommandError(ErrorCode.CommandNotSupported, `${message} is not supported by the embedded MongoDB server`);
}

/** The BCP 47 tag the platform's Intl.Collator takes for an ICU locale id (`fr_CA`, `de@collation=phonebook`). */
export function languageTag(locale: string): string {
  const [base = '', keywords] = locale.split('@');
  let tag = base.replaceAll('_', '-');
  const collation = /(?:^|;)collation=([a-z0-9]+)/i.exec(keywords ?? '')?.[1]?.toLowerCase();
  if (collation) tag += `-u-co-${COLLATION_KEYWORDS[collation] ?? collation}`;
  return tag;
}

function invalidLocale(spec: Document): CommandError {
  return new CommandError(ErrorCode.BadValue, `Field 'locale' is invalid in: ${JSON.stringify(spec)}`);
}

/** The locale's own defaults, as ICU has them (caseFirst 'upper' for Danish, shifted for Thai, backwards for fr_CA). */
function localeDefaults(tag: string): Pick<Collation, 'caseFirst' | 'alternate' | 'backwards'> {
  const collator = new Intl.Collator(tag);
  const resolved = collator.resolvedOptions();
  return {
    caseFirst: resolved.caseFirst === 'upper' || resolved.caseFirst === 'lower' ? resolved.caseFirst : 'off',
    alternate: resolved.ignorePunctuation ? 'shifted' : 'non-ignorable',
    // French accent ordering read from the end of the word: "côte" sorts before "coté" only then.
    backwards: collator.compare('côte', 'coté') < 0,
  };
}

function checkFieldTypes(spec: Document): void {
  for (const [field, value] of Object.entries(spec)) {
    if (!KNOWN_FIELDS.has(field)) {
      throw new CommandError(ErrorCode.IDLUnknownField, `BSON field 'collation.${field}' is an unknown field.`);
    }
    const expected = (BOOLEAN_FIELDS as readonly string[]).includes(field)
      ? 'bool'
      : field === 'strength'
        ? 'int'
        : 'string';
    const ok =
      expected === 'bool'
        ? typeof value === 'boolean'
        : expected === 'int'
          ? numericValue(value) !== undefined
          : typeof value === 'string';
    if (!ok) {
      throw new CommandError(
        ErrorCode.TypeMismatch,
        `BSON field 'collation.${field}' is the wrong type '${typeof value}', expected type '${expected}'`,
      );
    }
    const allowed = ENUM_FIELDS[field];
    if (allowed && !allowed.includes(value as string)) {
      throw new CommandError(
        ErrorCode.BadValue,
        `Enumeration value '${String(value)}' for field 'collation.${field}' is not a valid value.`,
      );
    }
  }
}

function parseStrength(value: unknown): Collation['strength'] | undefined {
  if (value === undefined) return undefined;
  const strength = numericValue(value) as number;
  if (!Number.isInteger(strength) || strength < 1 || strength > 5) {
    throw new CommandError(
      ErrorCode.BadValue,
      `BSON field 'collation.strength' must be an integer 1 through 5, actual value '${strength}'`,
    );
  }
  return strength as Collation['strength'];
}

/**
 * The collation an option asks for, validated as mongod does: undefined for `{ locale: 'simple' }`
 * (and for no option at all), else the full form. What the platform's ICU cannot do is refused
 * (CommandNotSupported) rather than approximated silently.
 */
export function parseCollation(raw: unknown): Collation | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'collation' is the wrong type, expected type 'object'");
  }
  checkFieldTypes(raw);
  const locale: unknown = raw.locale;
  if (typeof locale !== 'string') {
    throw new CommandError(ErrorCode.IDLFailedToParse, "BSON field 'collation.locale' is missing but a required field");
  }
  if (locale === 'simple') {
    if (Object.keys(raw).length > 1) {
      throw new CommandError(
        ErrorCode.FailedToParse,
        `If locale=simple, no other fields should be present in: ${JSON.stringify(raw)}`,
      );
    }
    return undefined;
  }
  const tag = languageTag(locale);
  let supported: string[];
  try {
    supported = Intl.Collator.supportedLocalesOf(tag);
  } catch {
    throw invalidLocale(raw);
  }
  if (locale === '' || locale.includes('\0') || supported.length === 0) throw invalidLocale(raw);
  if (raw.version !== undefined && raw.version !== COLLATION_VERSION) {
    throw new CommandError(
      ErrorCode.IncompatibleCollationVersion,
      `Requested collation version ${String(raw.version)} but the only available collator version was ${COLLATION_VERSION}. Requested collation spec: ${JSON.stringify(raw)}`,
    );
  }
  const defaults = localeDefaults(tag);
  const collation: Collation = {
    locale,
    caseLevel: (raw.caseLevel as boolean | undefined) ?? false,
    caseFirst: (raw.caseFirst as Collation['caseFirst'] | undefined) ?? defaults.caseFirst,
    strength: parseStrength(raw.strength) ?? 3,
    numericOrdering: (raw.numericOrdering as boolean | undefined) ?? false,
    alternate: (raw.alternate as Collation['alternate'] | undefined) ?? defaults.alternate,
    maxVariable: (raw.maxVariable as Collation['maxVariable'] | undefined) ?? 'punct',
    normalization: (raw.normalization as boolean | undefined) ?? false,
    backwards: (raw.backwards as boolean | undefined) ?? defaults.backwards,
    version: COLLATION_VERSION,
  };
  if (collation.backwards !== defaults.backwards) {
    throw refused(`collation 'backwards: ${collation.backwards}' for locale '${locale}'`);
  }
  if (collation.alternate === 'shifted' && collation.maxVariable === 'space') {
    throw refused("collation 'maxVariable: space'");
  }
  if (collation.caseLevel && collation.strength === 2) throw refused("collation 'caseLevel' at strength 2");
  return collation;
}

/** The collation as a document (what listCollections and listIndexes show). */
export function describeCollation(collation: Collation): Document {
  return { ...collation };
}

/** Whether two collations (undefined: simple) compare strings the same way. */
export function sameCollation(a: Collation | undefined, b: Collation | undefined): boolean {
  if (!a || !b) return a === b;
  return (Object.keys(a) as (keyof Collation)[]).every((field) => a[field] === b[field]);
}
