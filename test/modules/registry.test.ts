import { describe, expect, it } from 'vitest';
import { mergePermissionBlocks, piiFieldsOf } from '../../src/authz/permissions.js';
import { can, isAuthenticated } from '../../src/authz/rules.js';
import { EventCatalog } from '../../src/events/event-types.js';
import { eventCatalog, MODULE_SCHEMA_FILES, permissionMap } from '../../src/modules/application.js';
import { MODULES } from '../../src/modules/registry.js';
import { schemaFiles } from '../../src/schema/type-defs.js';

describe('the module registry', () => {
  it('claims every SDL file of schema/ exactly once, so codegen and the server read the same schema', () => {
    expect([...MODULE_SCHEMA_FILES].sort()).toEqual(schemaFiles());
    expect(new Set(MODULE_SCHEMA_FILES).size).toBe(MODULE_SCHEMA_FILES.length);
  });

  it('names each module once', () => {
    const names = MODULES.map((module) => module.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses two modules giving a rule to the same field', () => {
    const blocks = [
      { name: 'a', permissions: { Park: { name: isAuthenticated } } },
      { name: 'b', permissions: { Park: { name: can('readTenantData') } } },
    ];
    expect(() => mergePermissionBlocks(blocks)).toThrow('Park.name has a rule in module a and in module b');
  });
});

describe('personal data is declared once: the readPii rule of a field', () => {
  it('the permission map guards Reservation.visitorEmail, and only it, with readPii', () => {
    expect(piiFieldsOf(permissionMap, 'Reservation')).toEqual(['visitorEmail']);
    expect(piiFieldsOf(permissionMap, 'Park')).toEqual([]);
  });

  it('export events withhold exactly those fields of the type they show (a visitor’s name is not withheld)', () => {
    expect(eventCatalog.piiFields('reservation.created')).toEqual(['visitorEmail']);
    expect(eventCatalog.piiFields('reservation.cancelled')).toEqual(['visitorEmail']);
    for (const type of ['park.created', 'park.updated', 'park.deleted'])
      expect(eventCatalog.piiFields(type)).toEqual([]);
  });

  it('the event types are those of the contract, gathered from the modules', () => {
    expect(eventCatalog.types).toEqual([
      'park.created',
      'park.updated',
      'park.deleted',
      'reservation.created',
      'reservation.cancelled',
    ]);
  });

  it('an event catalog refuses a type declared twice or not shaped <entity>.<change>', () => {
    expect(
      () =>
        new EventCatalog([
          { type: 'park.created', piiFields: [] },
          { type: 'park.created', piiFields: [] },
        ]),
    ).toThrow(/declared twice/);
    expect(() => new EventCatalog([{ type: 'created', piiFields: [] }])).toThrow(/<entity>.<change>/);
  });
});
