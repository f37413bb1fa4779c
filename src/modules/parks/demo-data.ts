import { createHash } from 'node:crypto';
import type { TenantDb } from '../../data/tenant-db.js';
import type { ParkDocument } from './park-document.js';
import type { ReservationDocument, ReservationStatus } from '../reservations/reservation-document.js';
import type { DemoTenantSlug } from '../../seed/demo-identities.js';

export interface DemoReservation {
  visitorName: string;
  visitorEmail: string;
  partySize: number;
  date: string;
  status: ReservationStatus;
}

export interface DemoPark {
  /** Stable within the tenant; the seeded ids derive from it. */
  key: string;
  name: string;
  region: string;
  capacity: number;
  reservations: DemoReservation[];
}

/** The parks and reservations of CONTRACT.md section 4: real state parks, fictional visitors. */
export const DEMO_PARKS: Record<DemoTenantSlug, DemoPark[]> = {
  texas: [
    {
      key: 'big-bend-ranch',
      name: 'Big Bend Ranch State Park',
      region: 'Big Bend Country',
      capacity: 600,
      reservations: [
        {
          visitorName: 'Maria Gonzalez',
          visitorEmail: 'maria.gonzalez@example.com',
          partySize: 4,
          date: '2026-03-14',
          status: 'CONFIRMED',
        },
        {
          visitorName: 'James Carter',
          visitorEmail: 'james.carter@example.com',
          partySize: 2,
          date: '2026-04-02',
          status: 'CANCELLED',
        },
      ],
    },
    {
      key: 'palo-duro-canyon',
      name: 'Palo Duro Canyon State Park',
      region: 'Panhandle Plains',
      capacity: 1500,
      reservations: [
        {
          visitorName: 'Emily Nguyen',
          visitorEmail: 'emily.nguyen@example.com',
          partySize: 3,
          date: '2026-04-18',
          status: 'CONFIRMED',
        },
        {
          visitorName: 'Robert Johnson',
          visitorEmail: 'robert.johnson@example.com',
          partySize: 6,
          date: '2026-05-09',
          status: 'CONFIRMED',
        },
      ],
    },
    {
      key: 'garner',
      name: 'Garner State Park',
      region: 'Hill Country',
      capacity: 2000,
      reservations: [
        {
          visitorName: 'Sofia Hernandez',
          visitorEmail: 'sofia.hernandez@example.com',
          partySize: 5,
          date: '2026-06-20',
          status: 'CONFIRMED',
        },
        {
          visitorName: 'Daniel Lee',
          visitorEmail: 'daniel.lee@example.com',
          partySize: 2,
          date: '2026-07-04',
          status: 'CONFIRMED',
        },
      ],
    },
    {
      key: 'enchanted-rock',
      name: 'Enchanted Rock State Natural Area',
      region: 'Hill Country',
      capacity: 1200,
      reservations: [],
    },
  ],
  washington: [
    {
      key: 'deception-pass',
      name: 'Deception Pass State Park',
      region: 'Puget Sound',
      capacity: 2500,
      reservations: [
        {
          visitorName: 'Olivia Chen',
          visitorEmail: 'olivia.chen@example.com',
          partySize: 2,
          date: '2026-05-23',
          status: 'CONFIRMED',
        },
        {
          visitorName: 'Noah Williams',
          visitorEmail: 'noah.williams@example.com',
          partySize: 4,
          date: '2026-07-11',
          status: 'CONFIRMED',
        },
      ],
    },
    {
      key: 'cape-disappointment',
      name: 'Cape Disappointment State Park',
      region: 'Southwest Washington',
      capacity: 1800,
      reservations: [
        {
          visitorName: 'Ava Patel',
          visitorEmail: 'ava.patel@example.com',
          partySize: 3,
          date: '2026-06-06',
          status: 'CONFIRMED',
        },
        {
          visitorName: 'Liam Brown',
          visitorEmail: 'liam.brown@example.com',
          partySize: 1,
          date: '2026-06-13',
          status: 'CANCELLED',
        },
      ],
    },
    {
      key: 'palouse-falls',
      name: 'Palouse Falls State Park',
      region: 'Eastern Washington',
      capacity: 400,
      reservations: [
        {
          visitorName: 'Isabella Martinez',
          visitorEmail: 'isabella.martinez@example.com',
          partySize: 5,
          date: '2026-04-25',
          status: 'CONFIRMED',
        },
      ],
    },
    {
      key: 'moran',
      name: 'Moran State Park',
      region: 'San Juan Islands',
      capacity: 900,
      reservations: [
        {
          visitorName: 'Ethan Kim',
          visitorEmail: 'ethan.kim@example.com',
          partySize: 2,
          date: '2026-08-15',
          status: 'CONFIRMED',
        },
      ],
    },
  ],
  colorado: [
    {
      key: 'eldorado-canyon',
      name: 'Eldorado Canyon State Park',
      region: 'Front Range',
      capacity: 800,
      reservations: [
        {
          visitorName: 'Mia Robinson',
          visitorEmail: 'mia.robinson@example.com',
          partySize: 2,
          date: '2026-05-16',
          status: 'CONFIRMED',
        },
        {
          visitorName: 'Lucas Wright',
          visitorEmail: 'lucas.wright@example.com',
          partySize: 4,
          date: '2026-06-27',
          status: 'CONFIRMED',
        },
      ],
    },
    {
      key: 'golden-gate-canyon',
      name: 'Golden Gate Canyon State Park',
      region: 'Front Range',
      capacity: 1000,
      reservations: [
        {
          visitorName: 'Charlotte Davis',
          visitorEmail: 'charlotte.davis@example.com',
          partySize: 6,
          date: '2026-07-18',
          status: 'CONFIRMED',
        },
      ],
    },
    {
      key: 'mueller',
      name: 'Mueller State Park',
      region: 'Pikes Peak',
      capacity: 700,
      reservations: [
        {
          visitorName: 'Henry Wilson',
          visitorEmail: 'henry.wilson@example.com',
          partySize: 3,
          date: '2026-08-01',
          status: 'CONFIRMED',
        },
        {
          visitorName: 'Amelia Taylor',
          visitorEmail: 'amelia.taylor@example.com',
          partySize: 2,
          date: '2026-08-22',
          status: 'CANCELLED',
        },
      ],
    },
    {
      key: 'ridgway',
      name: 'Ridgway State Park',
      region: 'San Juan Mountains',
      capacity: 1100,
      reservations: [
        {
          visitorName: 'Benjamin Moore',
          visitorEmail: 'benjamin.moore@example.com',
          partySize: 4,
          date: '2026-09-05',
          status: 'CONFIRMED',
        },
      ],
    },
  ],
};

/**
 * Seeded documents are dated from here: park i at `i * 100` seconds, its reservation j at
 * `i * 100 + j + 1`, so appending parks or reservations (fewer than 100 a park) to DEMO_PARKS leaves
 * the ids of the existing ones unchanged.
 */
const SEED_EPOCH_SECONDS = Date.UTC(2025, 0, 1) / 1000;
const SECONDS_PER_PARK = 100;

/**
 * A deterministic document stamp with an id shaped like the data layer's (ObjectId hex: 8 hex digits
 * of creation seconds, then 16 more). The timestamp keeps seeded documents in DEMO_PARKS order and
 * before anything created later, so pages stay in creation order; the hash keeps the id stable, so
 * seeding twice finds the documents of the first run. The hash covers the tenant id rather than the
 * slug because ids are unique across tenants: two tenants seeded with one demo set must not collide.
 */
function demoStamp(tenantId: string, key: string, offsetSeconds: number): { _id: string; createdAt: Date } {
  const seconds = SEED_EPOCH_SECONDS + offsetSeconds;
  const hash = createHash('sha256').update(`${tenantId}:${key}`).digest('hex');
  return { _id: seconds.toString(16).padStart(8, '0') + hash.slice(0, 16), createdAt: new Date(seconds * 1000) };
}

/**
 * Inserts the tenant's demo parks and reservations that are missing. Idempotent: a second run changes
 * nothing, nor does it undo what users have since changed in the demo documents. Seeding writes no
 * export events: it sets up the starting state rather than recording a change.
 */
export async function seedParksAndReservations(db: TenantDb, tenantSlug: DemoTenantSlug): Promise<void> {
  const parks = db.collection<ParkDocument>('parks');
  const reservations = db.collection<ReservationDocument>('reservations');
  for (const [parkIndex, { key, reservations: demoReservations, ...fields }] of DEMO_PARKS[tenantSlug].entries()) {
    const park = demoStamp(db.tenantId, `park:${key}`, parkIndex * SECONDS_PER_PARK);
    await parks.insertIfMissing({ ...park, ...fields, updatedAt: park.createdAt });
    for (const [index, reservation] of demoReservations.entries()) {
      const stamp = demoStamp(db.tenantId, `reservation:${key}:${index}`, parkIndex * SECONDS_PER_PARK + index + 1);
      await reservations.insertIfMissing({ ...stamp, parkId: park._id, ...reservation, updatedAt: stamp.createdAt });
    }
  }
}
