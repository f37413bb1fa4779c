import { open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The files of a data directory: journal segments and snapshots named by a log sequence number. */
const JOURNAL = /^journal-([0-9a-f]{16})\.log$/;
const SNAPSHOT = /^snapshot-([0-9a-f]{16})\.bson$/;
const TEMPORARY = /\.tmp$/;
const LOCK_FILE = 'LOCK';

export function journalPath(dir: string, firstLsn: number): string {
  return join(dir, `journal-${hex(firstLsn)}.log`);
}

export function snapshotPath(dir: string, lsn: number): string {
  return join(dir, `snapshot-${hex(lsn)}.bson`);
}

function hex(lsn: number): string {
  return lsn.toString(16).padStart(16, '0');
}

export interface NumberedFile {
  readonly path: string;
  /** The first LSN of a journal segment, the last LSN a snapshot includes. */
  readonly lsn: number;
}

export interface DirectoryListing {
  /** Oldest first. */
  readonly journals: NumberedFile[];
  /** Newest first. */
  readonly snapshots: NumberedFile[];
  readonly temporary: string[];
}

export async function listDirectory(dir: string): Promise<DirectoryListing> {
  const journals: NumberedFile[] = [];
  const snapshots: NumberedFile[] = [];
  const temporary: string[] = [];
  for (const name of await readdir(dir)) {
    const journal = JOURNAL.exec(name);
    const snapshot = SNAPSHOT.exec(name);
    if (journal) journals.push({ path: join(dir, name), lsn: Number.parseInt(journal[1]!, 16) });
    else if (snapshot) snapshots.push({ path: join(dir, name), lsn: Number.parseInt(snapshot[1]!, 16) });
    else if (TEMPORARY.test(name)) temporary.push(join(dir, name));
  }
  journals.sort((a, b) => a.lsn - b.lsn);
  snapshots.sort((a, b) => b.lsn - a.lsn);
  return { journals, snapshots, temporary };
}

/** Makes renames, creations and deletions in the directory durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockContents {
  readonly pid: number;
  readonly uri: string;
}

async function readLock(path: string): Promise<LockContents | undefined> {
  try {
    const contents = JSON.parse(await readFile(path, 'utf8')) as Partial<LockContents>;
    return typeof contents.pid === 'number' && typeof contents.uri === 'string'
      ? { pid: contents.pid, uri: contents.uri }
      : undefined;
  } catch {
    // Missing, or cut short by a crash while it was written: no live holder either way.
    return undefined;
  }
}

/** The server that holds the directory now (its process is alive), if any. */
export async function lockHolder(dir: string): Promise<LockContents | undefined> {
  const holder = await readLock(join(dir, LOCK_FILE));
  return holder && alive(holder.pid) ? holder : undefined;
}

/**
 * Claims the directory for this process: one server per directory, or they would overwrite each
 * other's files. The lock names the server's URI, so tools can find the server that holds it. A
 * lock left by a process that no longer runs (killed, crashed) is taken over.
 */
export async function lockDirectory(dir: string, uri: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const contents = `${JSON.stringify({ pid: process.pid, uri })}\n`;
  try {
    await writeFile(path, contents, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = await lockHolder(dir);
    if (holder)
      throw new Error(`The embedded database directory ${dir} is in use by process ${holder.pid} (${holder.uri})`);
    await writeFile(path, contents);
  }
  return () => rm(path, { force: true });
}
