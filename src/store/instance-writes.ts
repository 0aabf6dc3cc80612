/**
 * Who hears about writes that change what placement sees of a container instance: the instance
 * row (resources, status, agent connection), its attributes, or a task on it. The placement cache
 * (control/placement-cache.ts) marks the instance stale and re-reads it before its next use.
 *
 * A write inside a transaction is told twice: when it is made, and again once the transaction has
 * ended (committed or rolled back). A reader that re-read the instance in between, before the
 * commit, saw the old row; the second telling makes it read again. Telling too often costs a
 * re-read; telling too little would leave a stale cache, so both moments are told.
 */
export type InstanceWriteListener = (instanceArn: string) => void;

export class InstanceWrites {
  private readonly listeners: InstanceWriteListener[] = [];

  listen(listener: InstanceWriteListener): void {
    this.listeners.push(listener);
  }

  /** Tells every listener now; `pending` (a transaction's log) collects the ARN to tell again. */
  changed(instanceArn: string, pending?: Set<string>): void {
    pending?.add(instanceArn);
    for (const listener of this.listeners) listener(instanceArn);
  }
}

/** What a repository calls on each write: bound to the store's listeners and, in a transaction, its log. */
export type InstanceChanged = (instanceArn: string) => void;
