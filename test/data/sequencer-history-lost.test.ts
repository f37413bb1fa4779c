import { startEmbeddedMongo, type EmbeddedMongo } from '@tenantgraph/embedded-mongo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/data/database.js';
import type { EventSequencer } from '../../src/data/event-sequencer.js';
import { newId } from '../../src/data/ids.js';
import type { EventDocument } from '../../src/events/event-document.js';
import { MAX_EVENTS_PER_OUTBOX_DOCUMENT, recordEvent, recordEvents } from '../../src/events/outbox.js';
import { collections } from '../../src/modules/application.js';
import { uniqueDbName } from '../support/mongo.js';
import { until } from '../support/wait.js';
import { commandOf, startRelay } from '../support/wire-proxy.js';

/**
 * The sequencer when its change stream cannot resume (the oplog moved past its checkpoint while no
 * sequencer ran): it publishes the whole outbox by reading it, in commit order, and still in
 * transactions of bounded size: 100 events, or one batch document whole. A find of 100 outbox
 * documents may hold an import's batches of 1,000 events each; published as one transaction that was
 * thousands of events. The process talks to the database through a relay that counts the documents
 * each transaction inserts into `events`. Needs an oplog small enough to lose on purpose: the embedded
 * server's change history is set to 200 changes, which a real replica set cannot do from a test, so
 * the file runs on the embedded server only.
 */
const external = process.env.MONGODB_URI !== undefined;
let mongo: EmbeddedMongo;
let database: Database;
let relay: { uri: string; close(): Promise<void> };
/** Documents inserted into `events`, per transaction (session id and transaction number). */
const inTransaction = new Map<string, number>();
const dbName = uniqueDbName('history');
const lost: string[] = [];
const errors: unknown[] = [];
const running: EventSequencer[] = [];

beforeAll(async () => {
  if (external) return;
  mongo = await startEmbeddedMongo({ changeHistory: { maxEvents: 200 } });
  relay = await startRelay(mongo.uri, {
    fromClient(message, send) {
      const command = commandOf(message);
      if (command?.insert === 'events' && command.txnNumber !== undefined) {
        const key = `${command.lsid.id.toString('hex')}:${command.txnNumber}`;
        inTransaction.set(key, (inTransaction.get(key) ?? 0) + documentSequenceLength(message));
      }
      send(message);
    },
    fromServer: (message, send) => send(message),
  });
  database = await connectDatabase({ uri: relay.uri, dbName, collections });
  await database.ensureIndexes();
});
afterAll(async () => {
  await Promise.all(running.map((sequencer) => sequencer.stop()));
  await database?.close();
  await relay?.close();
  await mongo?.stop();
});

/** How many documents the OP_MSG `message` carries in its document sequence (an insert's `documents`). */
function documentSequenceLength(message: Buffer): number {
  let count = 0;
  for (let at = 20; at < message.readInt32LE(0) - ((message.readUInt32LE(16) & 1) === 1 ? 4 : 0); ) {
    if (message[at] === 0) {
      at += 1 + message.readInt32LE(at + 1);
      continue;
    }
    const end = at + 1 + message.readInt32LE(at + 1);
    let document = message.indexOf(0, at + 5) + 1;
    for (; document < end; document += message.readInt32LE(document)) count += 1;
    at = end;
  }
  return count;
}

const start = async () => {
  const sequencer = await database.startEventSequencer({
    leaseMs: 300,
    onError: (error) => errors.push(error),
    onHistoryLost: () => lost.push('history lost'),
  });
  running.push(sequencer);
  return sequencer;
};

describe.skipIf(external)('the sequencer after its change history is lost', () => {
  it('publishes the whole outbox in commit order, no transaction over one batch document', async () => {
    const tenant = database.forTenant(newId());
    const events = tenant.collection<EventDocument>('events');
    const outbox = tenant.collection('eventOutbox');
    const first = await start();
    await tenant.withTransaction((tx) => recordEvent(tx, { type: 'park.created', subject: 'first', data: {} }));
    await until(async () => (await events.count({})) === 1 && (await outbox.count({})) === 0, 'the first event');
    await first.stop();

    const subjects: string[] = [];
    for (let batch = 0; batch < 3; batch += 1) {
      const batchSubjects = Array.from({ length: MAX_EVENTS_PER_OUTBOX_DOCUMENT }, (_, i) => `b${batch}-${i}`);
      subjects.push(...batchSubjects);
      await tenant.withTransaction((tx) =>
        recordEvents(
          tx,
          batchSubjects.map((subject) => ({ type: 'park.created', subject, data: {} })),
        ),
      );
    }
    for (let single = 0; single < 250; single += 1) {
      subjects.push(`s${single}`);
      await tenant.withTransaction((tx) => recordEvent(tx, { type: 'park.created', subject: `s${single}`, data: {} }));
    }

    inTransaction.clear();
    await start();
    const total = 1 + subjects.length;
    await until(
      async () => (await events.count({})) === total && (await outbox.count({})) === 0,
      `${total} events`,
      60_000,
    );
    expect([...inTransaction.values()].reduce((sum, inserted) => sum + inserted, 0)).toBe(subjects.length);

    expect(lost).toEqual(['history lost']);
    expect(errors.map((error) => (error as { codeName?: string }).codeName)).toEqual(
      errors.map(() => 'ChangeStreamHistoryLost'),
    );
    const published = await events.find({}, { sort: { position: 1 } });
    expect(published.map((event) => event.position)).toEqual(published.map((_, i) => i + 1));
    expect(published.map((event) => event.subject)).toEqual(['first', ...subjects]);
    expect(Math.max(...inTransaction.values())).toBeLessThanOrEqual(MAX_EVENTS_PER_OUTBOX_DOCUMENT);
    expect(inTransaction.size).toBeGreaterThanOrEqual(3 + 250 / 100);
  });
});
