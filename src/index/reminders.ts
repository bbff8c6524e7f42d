// Deadline reminders (DEADLINE_REMINDERS): a DEADLINE_APPROACHING event when a dispute awaiting a
// response enters a window before its evidence deadline. Once per dispute and window, across
// restarts and replicas: the store claims each reminder (an insert only one caller wins) in the
// same transaction that marks the larger windows the dispute is already inside, so a dispute that
// arrives with 6 h to go gets the 24 h reminder once and never the 72 h one. Evaluated for the
// disputes that change, as they change, and every tick for the passage of time, by one indexed
// query (the sync's leader runs the ticks; any replica may claim on a change).
import type { Dispute } from '../domain/dispute.js';
import { AWAITING_RESPONSE } from '../domain/outcome.js';
import type { Logger } from '../logger.js';
import type { DueReminder, ReminderWindow } from './model.js';
import type { IndexStore } from './store.js';

export interface ReminderOptions {
  /** The windows, any order. */
  windows: readonly ReminderWindow[];
  /** How often the windows are evaluated for the passage of time (DEADLINE_REMINDER_TICK_S). */
  tickMs: number;
  now: () => number;
  /** Publishes the reminder event; called once per claim. */
  publish(dispute: Dispute, window: string): Promise<void>;
  /** Whether this replica runs the ticks (the sync's leader). */
  leading(): boolean;
  logger: Logger;
  /** Told of every reminder sent. */
  sent?(window: string): void;
}

/** Candidates read per query; a tick reads up to TICK_PAGES of them. */
const PAGE = 500;
const TICK_PAGES = 20;

/** Parses DEADLINE_REMINDERS: durations in m, h or d, comma-separated; `off`: none. Throws with a message naming the variable. */
export function parseReminderWindows(raw: string): ReminderWindow[] {
  const text = raw.trim();
  if (text.toLowerCase() === 'off') return [];
  const windows = text.split(',').map((part) => {
    const m = /^(\d{1,6})([mhd])$/.exec(part.trim());
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 };
    if (!m || Number(m[1]) === 0)
      throw new Error(`DEADLINE_REMINDERS must be durations like 72h,24h (m, h or d, above zero) or off; got ${JSON.stringify(part.trim())}`);
    return { label: part.trim(), ms: Number(m[1]) * unit[m[2] as keyof typeof unit] };
  });
  const lengths = new Set(windows.map((w) => w.ms));
  if (lengths.size !== windows.length) throw new Error('DEADLINE_REMINDERS names the same window twice');
  return windows.sort((a, b) => a.ms - b.ms);
}

export class DeadlineReminders {
  private readonly windows: ReminderWindow[];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: IndexStore,
    private readonly opts: ReminderOptions,
  ) {
    this.windows = [...opts.windows].sort((a, b) => a.ms - b.ms);
  }

  start(): void {
    if (this.windows.length === 0) return;
    const tick = () => {
      this.timer = setTimeout(() => {
        if (this.opts.leading())
          this.running = this.tick()
            .then(() => {})
            .finally(tick);
        else tick();
      }, this.opts.tickMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => {});
  }

  /** Every dispute that entered a window since the last look, by the passage of time: one query a page. */
  async tick(): Promise<number> {
    let sent = 0;
    try {
      for (let page = 0; page < TICK_PAGES && !this.stopped; page++) {
        const due = await this.store.remindersDue(this.windows, this.opts.now(), PAGE);
        sent += await this.send(due);
        if (due.length < PAGE) break;
      }
    } catch (err) {
      this.opts.logger.warn('reminders: the windows could not be evaluated; the next tick tries again', { error: (err as Error).message });
    }
    return sent;
  }

  /** These disputes changed: any of them now inside a window without its reminder gets it (read from the index, as it holds them now). */
  async changed(disputes: readonly Dispute[]): Promise<void> {
    if (this.windows.length === 0) return;
    const now = this.opts.now();
    const largest = this.windows.at(-1)!.ms;
    const near = disputes.filter((d) => {
      const due = d.evidenceDetails.dueBy?.getTime();
      return AWAITING_RESPONSE.includes(d.status) && due !== undefined && due > now && due - now <= largest;
    });
    if (near.length === 0) return;
    try {
      const refs = near.map((d) => ({ provider: d.provider, account: d.providerAccount, providerDisputeId: d.providerDisputeId }));
      await this.send(await this.store.remindersDue(this.windows, now, PAGE, refs));
    } catch (err) {
      this.opts.logger.warn('reminders: a changed dispute could not be evaluated; the next tick will', { error: (err as Error).message });
    }
  }

  /** Claims each reminder (once, in the store) and publishes those this caller claimed. */
  private async send(due: readonly DueReminder[]): Promise<number> {
    let sent = 0;
    const now = this.opts.now();
    for (const { dispute, window } of due) {
      const dueMs = dispute.evidenceDetails.dueBy!.getTime();
      // The larger windows it is already inside: passed, never to fire for this dispute.
      const passed = this.windows.filter((w) => w.label !== window && dueMs - now <= w.ms).map((w) => w.label);
      const ref = { provider: dispute.provider, account: dispute.providerAccount, providerDisputeId: dispute.providerDisputeId };
      if (!(await this.store.claimReminder(ref, window, passed, dueMs, now))) continue;
      await this.opts.publish(dispute, window);
      this.opts.sent?.(window);
      sent += 1;
    }
    return sent;
  }
}
