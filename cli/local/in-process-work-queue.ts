/**
 * SlackWorkQueue on the embedded stack: the work runs in this process once the local server has
 * sent the HTTP answer (`runPending`), as the Lambda self-invoke runs after the acknowledgement on
 * AWS. `hold()` keeps queued work waiting until `release()`, so a test can see the acknowledged,
 * undecided state without a timing assumption; `settled()` resolves when nothing is queued or
 * running.
 */
import type { SlackWork, SlackWorkQueue } from '../../lambdas/domain/ports.js';

export class InProcessWorkQueue implements SlackWorkQueue {
  private readonly queued: SlackWork[] = [];
  private running: Promise<void> = Promise.resolve();
  private held = false;

  public constructor(
    private readonly run: (work: SlackWork) => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  public async enqueue(work: SlackWork): Promise<void> {
    // A copy through JSON, as the Lambda event is: the worker gets data, not shared objects.
    this.queued.push(JSON.parse(JSON.stringify(work)));
  }

  /** Runs what is queued, one after the other (called after the HTTP answer is sent). */
  public runPending(): void {
    if (this.held) return;
    const batch = this.queued.splice(0);
    for (const work of batch) {
      this.running = this.running.then(() => this.run(work).then(() => undefined, this.onError));
    }
  }

  public hold(): void {
    this.held = true;
  }

  public release(): void {
    this.held = false;
    this.runPending();
  }

  /** Resolves when everything queued so far has run (held work included once released). */
  public async settled(): Promise<void> {
    while (this.queued.length > 0 && !this.held) this.runPending();
    await this.running;
  }

  /** How many answers wait (held, or not yet started). */
  public get pending(): number {
    return this.queued.length;
  }
}
