/**
 * An export event type, `<entity>.<what happened>`, one per committed change. The types are declared
 * by the modules that write them (src/modules/<name>/module.ts) and gathered in an EventCatalog.
 */
export type ExportEventType = string;

/** An event type as the catalog holds it: with the fields of its `data` that are personal data. */
export interface CatalogEventType {
  type: ExportEventType;
  /**
   * The fields of the event's `data` that hold personal data: the fields of the GraphQL type it shows
   * that the permission map guards with the `readPii` ability. They are stored with the event and left
   * out of the data delivered to a subscriber who may not read them (see cloud-event.ts). Deciding at
   * delivery rather than at write time means a field classified later is withheld from old events too.
   */
  piiFields: readonly string[];
}

const EVENT_TYPE = /^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/;

/** Every export event type of the application, built once from the module registry. */
export class EventCatalog {
  readonly #types = new Map<ExportEventType, readonly string[]>();

  constructor(types: Iterable<CatalogEventType>) {
    for (const { type, piiFields } of types) {
      if (!EVENT_TYPE.test(type)) throw new Error(`Event type ${JSON.stringify(type)} is not <entity>.<change>`);
      if (this.#types.has(type)) throw new Error(`Event type ${type} is declared twice`);
      this.#types.set(type, [...piiFields]);
    }
  }

  /** The types, in declaration order. */
  get types(): ExportEventType[] {
    return [...this.#types.keys()];
  }

  has(value: unknown): value is ExportEventType {
    return typeof value === 'string' && this.#types.has(value);
  }

  /** The personal-data fields of an event's `data`; none for an unknown type. */
  piiFields(type: ExportEventType): readonly string[] {
    return this.#types.get(type) ?? [];
  }
}
