import { connectDatabase, type Database } from '../../src/data/database.js';
import { collections } from '../../src/modules/application.js';
import { startTestMongo, uniqueDbName, type TestMongo } from './mongo.js';

export interface TestDatabase {
  database: Database;
  mongo: TestMongo;
  dbName: string;
  /** The name of every command the driver sent, in order; clear it to count the next ones. */
  commands: string[];
  stop(): Promise<void>;
}

/** A Database on a fresh database name of the test server, recording the commands it sends. */
export async function startTestDatabase(prefix = 'data'): Promise<TestDatabase> {
  const mongo = await startTestMongo();
  const dbName = uniqueDbName(prefix);
  const commands: string[] = [];
  const database = await connectDatabase({
    uri: mongo.uri,
    dbName,
    collections,
    onCommand: (name) => commands.push(name),
  });
  return {
    database,
    mongo,
    dbName,
    commands,
    async stop() {
      await database.close();
      await mongo.stop();
    },
  };
}
