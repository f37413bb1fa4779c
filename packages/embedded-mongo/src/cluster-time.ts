import { Binary, Long, Timestamp } from 'bson';
import type { Document } from 'bson';

/** One commit: its cluster time, wall-clock time and commit sequence number. */
export interface ClusterTick {
  readonly clusterTime: Timestamp;
  readonly wallTime: Date;
  readonly sequence: number;
}

/**
 * The logical clock of the single replica set member: cluster times are (seconds, increment)
 * timestamps as in the oplog, strictly increasing with every commit, and the commit sequence
 * number orders writes for transaction conflict detection.
 */
export class ClusterClock {
  private seconds = Math.floor(Date.now() / 1000);
  private increment = 0;
  private commits = 0;

  tick(): ClusterTick {
    const now = Math.floor(Date.now() / 1000);
    if (now > this.seconds) {
      this.seconds = now;
      this.increment = 0;
    }
    this.increment += 1;
    this.commits += 1;
    return { clusterTime: this.current(), wallTime: new Date(), sequence: this.commits };
  }

  /** Continues after a recorded commit (at start-up): later ticks are never earlier than it. */
  restore(t: number, i: number, sequence: number): void {
    if (t > this.seconds || (t === this.seconds && i > this.increment)) {
      this.seconds = t;
      this.increment = i;
    }
    this.commits = Math.max(this.commits, sequence);
  }

  /** The number of the latest commit; a transaction's snapshot is the sequence at its start. */
  get sequence(): number {
    return this.commits;
  }

  /** The cluster time of the latest commit (the operationTime of every reply). */
  current(): Timestamp {
    return new Timestamp({ t: this.seconds, i: this.increment });
  }

  /** The `$clusterTime` gossip document; the signature is all zeros since there is no authentication. */
  gossip(): Document {
    return { clusterTime: this.current(), signature: { hash: new Binary(new Uint8Array(20), 0), keyId: Long.ZERO } };
  }
}
