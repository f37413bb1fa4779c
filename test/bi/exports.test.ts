import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedId } from '../../src/seed/seed.js';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server.js';
import { parseCsv } from './csv.js';
import { createApiKey, createPark } from './support.js';

const ALICE = 'alice@example.com'; // texas admin
const CAROL = 'carol@example.com'; // colorado admin

/** Park names a naive CSV writer would break on. */
const AWKWARD = [
  'Comma, the Park',
  'The "Quoted" Park',
  'Two\nLines Park',
  'Carriage\r\nReturn Park',
  'Ünïcödé 公园 🌲 Park',
  '"Starts with a quote',
  'Tab\there; semicolon Park',
  // Formulas a spreadsheet would run (contract section 7): CSV neutralises them, NDJSON does not.
  '=HYPERLINK("http://evil.example","Click")',
  '-1+1 Park',
  '@SUM(A1) Park',
];

/** What a CSV cell shows of a text: a leading `'` before a formula's first character. */
const asCsvCell = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

let server: TestServer;
let key: string;

const get = (path: string, auth: string | null = key, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { headers: { ...(auth && { authorization: `Bearer ${auth}` }), ...headers } });

interface ParkRow {
  id: string;
  name: string;
  region: string | null;
  capacity: number | null;
}

async function allParks(): Promise<ParkRow[]> {
  const parks: ParkRow[] = [];
  let after: string | null = null;
  for (;;) {
    const page: GraphQLResponse<{
      parks: { nodes: ParkRow[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    }> = await server.as<{ parks: { nodes: ParkRow[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
      ALICE,
      'query ($after: String) { parks(first: 100, after: $after) { nodes { id name region capacity } pageInfo { hasNextPage endCursor } } }',
      { variables: { after } },
    );
    parks.push(...page.data!.parks.nodes);
    if (!page.data!.parks.pageInfo.hasNextPage) return parks;
    after = page.data!.parks.pageInfo.endCursor;
  }
}

beforeAll(async () => {
  server = await startTestServer();
  key = await createApiKey(server, ALICE, { roles: ['ANALYST'], name: 'tableau' });
  for (const [index, name] of AWKWARD.entries()) {
    await createPark(server, ALICE, {
      name,
      region: index % 2 === 0 ? 'Quirky, "Region"' : null,
      capacity: index % 3 === 0 ? null : index,
    });
  }
  // More parks than one page holds (100), so that an export must read several pages.
  const parks = server.app.services.database.forTenant(seedId('tenant:texas')).collection('parks');
  for (let i = 0; i < 110; i += 1) {
    await parks.insertOne({
      name: `Bulk Park ${i}`,
      region: 'Bulk',
      capacity: i,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
  }
});

afterAll(async () => {
  await server?.stop();
});

describe('GET /bi/<operation>.csv', () => {
  it('returns every row, across pages, with a header of the selected paths, RFC 4180 quoted', async () => {
    const response = await get('/bi/ParksWithCapacity.csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    const text = await response.text();
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(['id', 'name', 'region', 'capacity']);
    const expected = await allParks();
    expect(expected.length).toBeGreaterThan(120);
    expect(rows).toEqual(
      expected.map((park) => [
        park.id,
        asCsvCell(park.name),
        park.region ?? '',
        park.capacity === null ? '' : String(park.capacity),
      ]),
    );
  });

  it('quotes exactly the fields that need it', async () => {
    const text = await (await get('/bi/ParksWithCapacity.csv')).text();
    expect(text).toContain(',"Comma, the Park",');
    expect(text).toContain(',"The ""Quoted"" Park",');
    expect(text).toContain(',"Two\nLines Park",');
    expect(text).toContain(',"Carriage\r\nReturn Park",');
    expect(text).toContain(',"""Starts with a quote",');
    expect(text).toContain(',Ünïcödé 公园 🌲 Park,');
    expect(text).toContain(',Tab\there; semicolon Park,');
    expect(text).toContain(',"Quirky, ""Region""",');
    expect(text).toContain(`,"'=HYPERLINK(""http://evil.example"",""Click"")",`);
    expect(text).toContain(",'-1+1 Park,");
    expect(text).toContain(",'@SUM(A1) Park,");
    expect(text.startsWith('id,name,region,capacity\r\n')).toBe(true);
  });

  it('reads each page with the page size the caller chose', async () => {
    const small = parseCsv(await (await get('/bi/ParksWithCapacity.csv?first=7')).text());
    const full = parseCsv(await (await get('/bi/ParksWithCapacity.csv')).text());
    expect(small).toEqual(full);
  });

  it('takes typed variables from the query string and flattens nested objects to dotted columns', async () => {
    const response = await get('/bi/ReservationsInRange.csv?from=2026-04-01&to=2026-05-31');
    expect(response.status).toBe(200);
    const [header, ...rows] = parseCsv(await response.text());
    expect(header).toEqual(['id', 'date', 'status', 'partySize', 'park.id', 'park.name']);
    const expected = await server.as<{
      reservations: { nodes: Array<{ id: string; date: string; park: { name: string } }> };
    }>(ALICE, '{ reservations(from: "2026-04-01", to: "2026-05-31", first: 100) { nodes { id date park { name } } } }');
    const nodes = expected.data!.reservations.nodes;
    expect(nodes.length).toBeGreaterThan(0);
    expect(rows.map((row) => [row[0], row[1], row[5]])).toEqual(
      nodes.map((node) => [node.id, node.date, node.park.name]),
    );
    for (const row of rows) expect(row[1]! >= '2026-04-01' && row[1]! <= '2026-05-31').toBe(true);
    const all = await server.as<{ reservations: { nodes: unknown[] } }>(
      ALICE,
      '{ reservations(first: 100) { nodes { id } } }',
    );
    expect(rows.length).toBeLessThan(all.data!.reservations.nodes.length);
  });

  it('answers bad variables with 400 BAD_USER_INPUT before any row', async () => {
    for (const query of [
      'from=2026-04-01',
      'from=2026-04-01&to=2026-05-31&first=many',
      'from=2026-01-01&to=2026-02-01&form=x',
      'from=2026-13-01&to=2026-14-01',
    ]) {
      const response = await get(`/bi/ReservationsInRange.csv?${query}`);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(body.errors[0]?.extensions.code, query).toBe('BAD_USER_INPUT');
    }
  });

  it('is private to the caller’s cache', async () => {
    const response = await get('/bi/ReservationStatsByMonth.csv');
    expect(response.headers.get('cache-control')).toBe('private, max-age=60');
    expect(response.headers.get('vary')).toBe('Authorization, X-API-Key, X-Tenant-ID');
    expect(parseCsv(await response.text())[0]).toEqual(['key', 'reservations', 'visitors']);
  });

  it('refuses what /graphql refuses, with the status of the error', async () => {
    expect((await get('/bi/ParksWithCapacity.csv', null)).status).toBe(401);
    expect((await get('/bi/NoSuchOperation.csv')).status).toBe(404);
    expect((await get('/bi/ParksWithCapacity.xml')).status).toBe(404);
    const limited = await createApiKey(server, ALICE, { roles: ['ANALYST'], operations: ['ReservationStatsByMonth'] });
    expect((await get('/bi/ParksWithCapacity.csv', limited)).status).toBe(403);
    expect((await get('/bi/ReservationStatsByMonth.csv', limited)).status).toBe(200);
    expect((await get('/bi/ParksWithCapacity.csv', await server.token('dave@example.com'))).status).toBe(403);
  });

  it('serves a tenant’s own operation in that tenant only', async () => {
    const registered = await server.as(
      ALICE,
      'mutation { registerTrustedOperation(name: "BigParks", document: "query BigParks { parks(first: 100) { nodes { name capacity } } }") { id } }',
    );
    expect(registered.errors).toBeUndefined();
    const texas = await get('/bi/BigParks.csv');
    expect(texas.status).toBe(200);
    expect(parseCsv(await texas.text())[0]).toEqual(['name', 'capacity']);
    const colorado = await createApiKey(server, CAROL, { roles: ['ANALYST'] });
    expect((await get('/bi/BigParks.csv', colorado)).status).toBe(404);
  });
});

describe('GET /bi/<operation>.ndjson', () => {
  it('returns one JSON object per line, as the operation shaped it', async () => {
    const response = await get('/bi/ParksWithCapacity.ndjson');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const text = await response.text();
    expect(text.endsWith('\n')).toBe(true);
    const rows = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ParkRow);
    expect(rows).toEqual(await allParks());
    expect(rows.map((row) => row.name)).toEqual(expect.arrayContaining(AWKWARD));
  });

  it('keeps nested objects nested', async () => {
    const text = await (await get('/bi/ReservationsInRange.ndjson?from=2026-01-01&to=2026-12-31')).text();
    const first = JSON.parse(text.split('\n')[0]!) as { park: { id: string; name: string } };
    expect(first.park).toEqual({ id: expect.any(String), name: expect.any(String) });
  });
});
