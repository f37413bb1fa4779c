import { describe, expect, it } from 'vitest';
import { newId } from '../../src/data/ids.js';
import { eventSource, toExportEvent } from '../../src/events/cloud-event.js';
import { eventCatalog } from '../../src/modules/application.js';
import { decodeCursor, encodeCursor } from '../../src/events/cursor.js';
import type { EventDocument } from '../../src/events/event-document.js';

describe('cursors', () => {
  const tenantId = newId();

  it('round-trip, and are opaque base64url', () => {
    const cursor = encodeCursor({ tenantId, position: 42 });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual({ tenantId, position: 42 });
  });

  it.each([
    ['not a string', 42],
    ['null', null],
    ['too long', 'A'.repeat(500)],
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['an array', Buffer.from('[1,2]').toString('base64url')],
    ['a tenant that is not an id', Buffer.from(JSON.stringify({ t: 'texas', p: 1 })).toString('base64url')],
    ['a position as a string', Buffer.from(JSON.stringify({ t: newId(), p: '1' })).toString('base64url')],
    ['a negative position', Buffer.from(JSON.stringify({ t: newId(), p: -1 })).toString('base64url')],
    ['an unsafe position', Buffer.from(JSON.stringify({ t: newId(), p: 2 ** 60 })).toString('base64url')],
  ])('refuse %s', (_name, value) => {
    expect(decodeCursor(value)).toBeNull();
  });
});

describe('the CloudEvent of a stored event', () => {
  const event: EventDocument = {
    _id: newId(),
    tenantId: newId(),
    position: 7,
    type: 'reservation.created',
    subject: 'UmVzZXJ2YXRpb246MQ',
    time: new Date('2026-05-01T10:00:00.000Z'),
    data: { id: 'UmVzZXJ2YXRpb246MQ', visitorName: 'Ann', visitorEmail: 'ann@example.com', partySize: 2 },
  };

  it('has the CloudEvents 1.0 attributes, the tenant and a cursor', () => {
    const delivered = toExportEvent(event, {
      tenantSlug: 'texas',
      includePii: true,
      piiFields: eventCatalog.piiFields.bind(eventCatalog),
    });
    expect(delivered).toEqual({
      id: event._id,
      specversion: '1.0',
      type: 'reservation.created',
      source: 'urn:tenantgraph:tenant:texas',
      subject: event.subject,
      time: '2026-05-01T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: event.data,
      tenant: 'texas',
      cursor: encodeCursor({ tenantId: event.tenantId, position: 7 }),
    });
    expect(eventSource('colorado')).toBe('urn:tenantgraph:tenant:colorado');
  });

  it('leaves personal data out for a subscriber who may not read it, without changing the stored event', () => {
    const delivered = toExportEvent(event, {
      tenantSlug: 'texas',
      includePii: false,
      piiFields: eventCatalog.piiFields.bind(eventCatalog),
    });
    expect(delivered.data).toEqual({ id: 'UmVzZXJ2YXRpb246MQ', visitorName: 'Ann', partySize: 2 });
    expect(event.data.visitorEmail).toBe('ann@example.com');
  });
});
