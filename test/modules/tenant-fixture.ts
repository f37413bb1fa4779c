import { expect } from 'vitest';
import type { Database } from '../../src/data/database.js';
import { newId } from '../../src/data/ids.js';
import type { TenantDb } from '../../src/data/tenant-db.js';
import { AppError } from '../../src/errors.js';
import { startTestDatabase } from '../support/database.js';

export interface TenantFixture {
  database: Database;
  /** Two unrelated tenants: what one writes, the other must not see. */
  tenantA: TenantDb;
  tenantB: TenantDb;
  /** Names of the commands sent to the server since the last `commands.length = 0`. */
  commands: string[];
  close(): Promise<void>;
}

/** A fresh database on the test server with two tenants, counting the commands the driver sends. */
export async function openTenantFixture(): Promise<TenantFixture> {
  const { database, commands, stop } = await startTestDatabase('modules');
  await database.ensureIndexes();
  return {
    database,
    tenantA: database.forTenant(newId()),
    tenantB: database.forTenant(newId()),
    commands,
    close: stop,
  };
}

/** Asserts that `run` rejects with an AppError of this code (and, for BAD_USER_INPUT, this field). */
export async function expectAppError(run: Promise<unknown>, code: string, field?: string): Promise<AppError> {
  const error: unknown = await run.then(
    () => {
      throw new Error(`expected ${code}, got a result`);
    },
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.extensions.code).toBe(code);
  if (field !== undefined) expect(appError.extensions.field).toBe(field);
  return appError;
}
