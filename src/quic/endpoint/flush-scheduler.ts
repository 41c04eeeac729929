/**
 * One `setImmediate` per turn of the event loop for every endpoint of the process (issue 3: the
 * hot path allocates nothing per packet).
 *
 * An endpoint sends what its received datagrams caused once the whole batch libuv read in this
 * poll phase has been handled: in the check phase, the only hook Node 20 runs after a poll's
 * messages (`process.nextTick` and microtasks run after each message). Each `setImmediate`
 * makes an `Immediate` (about 120 B, plus its async ids and Node's bookkeeping when it runs),
 * and there is no public way to re-arm one. A process with several endpoints (a client opens
 * one socket per connection; bench:alloc --udp runs a server and a client) made one per
 * endpoint per turn; here the endpoints that received something share one.
 */
import { FlushList, type FlushListEntry } from './flush-list.js';

/** Work to run in this turn's check phase; `flushQueued` belongs to the scheduler. */
export interface FlushTask extends FlushListEntry {
  run(): void;
}

export class FlushScheduler {
  private readonly due = new FlushList<FlushTask>();
  private scheduled = false;

  /**
   * Runs `task` in the check phase of this turn (of the next one when called from a task being
   * run). A task already waiting is not run twice.
   */
  schedule(task: FlushTask): void {
    this.due.add(task);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.runDue);
  }

  /** Forgets a waiting task (its endpoint shut down). */
  cancel(task: FlushTask): void {
    this.due.remove(task);
  }

  private readonly runDue = (): void => {
    // Before the tasks run: one that schedules itself again waits for the next turn's Immediate.
    this.scheduled = false;
    const n = this.due.take();
    let failed = false;
    let failure: unknown;
    for (let i = 0; i < n; i++) {
      const task = this.due.entry(i);
      if (task === undefined) continue;
      // An endpoint's failure must not keep the others' datagrams from leaving; it is thrown
      // once they have run, as an Immediate of its own would have thrown it.
      try {
        task.run();
      } catch (e) {
        if (!failed) failure = e;
        failed = true;
      }
    }
    if (failed) throw failure;
  };
}

/** The process's scheduler, shared by every endpoint. */
export const endpointFlushes = new FlushScheduler();
