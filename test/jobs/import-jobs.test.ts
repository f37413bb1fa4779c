import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDocument } from '../../src/events/event-document.js';
import { seedId } from '../../src/seed/seed.js';
import { published } from '../events/support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { callerOf, createImport, finished, upload, type Caller } from './support.js';

const TEXAS = seedId('tenant:texas');

let server: TestServer;
let alice: Caller;

beforeAll(async () => {
  server = await startTestServer({ JOB_POLL_MS: '50' });
  alice = await callerOf(server, 'alice@example.com');
});

afterAll(async () => {
  await server?.stop();
});

const texas = () => server.app.services.database.forTenant(TEXAS);

describe('import jobs', () => {
  it('imports 20,000 NDJSON lines: valid rows written with their events, invalid lines reported by line number', async () => {
    const created = await createImport(server, alice, { entity: 'PARK', format: 'NDJSON' });
    expect(created.job.status).toBe('PENDING');
    expect(created.maxBytes).toBe(100 * 1024 * 1024);
    const invalid = new Map<number, string>();
    const lines: string[] = [];
    for (let line = 1; line <= 20_000; line++) {
      if (line % 997 === 0) {
        lines.push(JSON.stringify({ name: '   ', region: 'Nowhere' }));
        invalid.set(line, 'input.name must not be blank');
      } else if (line % 1999 === 0) {
        lines.push(JSON.stringify({ name: `Park ${line}`, capacity: 'many' }));
        invalid.set(line, 'Int cannot represent non-integer value: "many"');
      } else if (line === 5) {
        lines.push('{ not json');
        invalid.set(line, 'is not valid JSON');
      } else if (line === 6) {
        lines.push(JSON.stringify({ name: 'Unknown field', acres: 3 }));
        invalid.set(line, 'Field "acres" is not defined by type "CreateParkInput".');
      } else {
        lines.push(JSON.stringify({ name: `Imported park ${line}`, region: 'Gulf', capacity: line % 500 }));
      }
    }
    const stored = await upload(created.uploadUrl, `${lines.join('\n')}\n`);
    expect(stored.status).toBe(201);
    const job = await finished(server, alice, created.job.id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.linesRead).toBe(20_000);
    expect(job.rowsFailed).toBe(invalid.size);
    expect(job.rowsWritten).toBe(20_000 - invalid.size);
    expect(job.errors).toEqual([...invalid].sort(([a], [b]) => a - b).map(([line, message]) => ({ line, message })));
    const parks = texas().collection('parks');
    expect(await parks.count({ name: /^Imported park / })).toBe(20_000 - invalid.size);
    expect(await parks.count({ name: 'Imported park 7', region: 'Gulf', capacity: 7 })).toBe(1);
    // Every row has its park.created event, written with it: once all are published, they are the
    // tenant's next positions, one each, without a gap, in the file's order (staged a batch at a time).
    await published(server, TEXAS, 60_000);
    const events = await texas()
      .collection<EventDocument>('events')
      .find({ type: 'park.created', 'data.name': /^Imported park / }, { sort: { position: 1 } });
    const validLines = lines.map((_, index) => index + 1).filter((line) => !invalid.has(line));
    expect(events.map((event) => event.data.name)).toEqual(validLines.map((line) => `Imported park ${line}`));
    expect(events.map((event) => event.position)).toEqual(events.map((_, index) => events[0]!.position + index));
    expect(new Set(events.map((event) => event._id)).size).toBe(events.length);
  }, 120_000);

  it('imports CSV reservations: header on line 1, numbers typed by the input, a park of another tenant refused', async () => {
    const parks = await server.as<{ parks: { nodes: Array<{ id: string }> } }>(
      'alice@example.com',
      '{ parks(first: 1) { nodes { id } } }',
    );
    const parkId = parks.data!.parks.nodes[0]!.id;
    const colorado = await server.as<{ parks: { nodes: Array<{ id: string }> } }>(
      'carol@example.com',
      '{ parks(first: 1) { nodes { id } } }',
    );
    const foreignPark = colorado.data!.parks.nodes[0]!.id;
    const csv = [
      'parkId,visitorName,visitorEmail,partySize,date',
      `${parkId},Ann Lee,ann@example.com,4,2027-03-01`,
      `${parkId},"Quoted, Name",quoted@example.com,2,2027-03-02`,
      `${foreignPark},Eve,eve@example.com,2,2027-03-03`,
      `${parkId},Too Many,many@example.com,500,2027-03-04`,
      `${parkId},No Date,nodate@example.com,2,`,
      `${parkId},Short row`,
    ].join('\r\n');
    const created = await createImport(server, alice, { entity: 'RESERVATION', format: 'CSV' });
    expect((await upload(created.uploadUrl, csv)).status).toBe(201);
    const job = await finished(server, alice, created.job.id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsWritten: 2, rowsFailed: 4, linesRead: 7 });
    expect(job.errors).toEqual([
      { line: 4, message: 'input.parkId does not name a park' },
      { line: 5, message: 'input.partySize must be an integer from 1 to 100' },
      { line: 6, message: 'Field "date" of required type "Date!" was not provided.' },
      { line: 7, message: 'has 2 fields, the header has 5' },
    ]);
    const reservations = texas().collection('reservations');
    expect(await reservations.count({ visitorName: 'Quoted, Name', partySize: 2, date: '2027-03-02' })).toBe(1);
  }, 90_000);

  it('fails a CSV whose header names a column the input does not have, and writes nothing', async () => {
    const created = await createImport(server, alice, { entity: 'PARK', format: 'CSV' });
    expect((await upload(created.uploadUrl, 'name,acres\nLost Maples,2900\n')).status).toBe(201);
    const job = await finished(server, alice, created.job.id);
    expect(job).toMatchObject({
      status: 'FAILED',
      rowsWritten: 0,
      failure: 'line 1: unknown column "acres" for CreateParkInput',
    });
    expect(await texas().collection('parks').count({ name: 'Lost Maples' })).toBe(0);
  }, 90_000);
});
