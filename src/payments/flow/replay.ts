import { bodyFingerprint } from '../audit.js';
import type { JournalEntry } from '../journal.js';
import type { FlowContext } from './context.js';
import { processCallback } from './record.js';

/**
 * Apply journal entries to the store, oldest first, one replay at a time. An entry that fails is kept.
 * Three failures in a row with no success stop the replay (the store is probably still down, and each
 * failure may have waited for a timeout). An entry that keeps failing while others succeed is set
 * aside after three such replays (kept in the journal, logged), so it cannot block the others.
 */
export function replay(ctx: FlowContext): Promise<{ applied: number; lateSuccesses: number }> {
  ctx.replaying ??= (async () => {
    const totals = { applied: 0, lateSuccesses: 0 };
    const failed = new Set<string>();
    const skip = (id: string) => failed.has(id) || (ctx.poisoned.get(id) ?? 0) >= 3;
    let streak = 0;
    try {
      for (let round = 0; round < 20 && streak < 3; round++) {
        const entries = (await ctx.journal.read(50 + failed.size + ctx.poisoned.size)).filter(
          (e) => !skip(e.id),
        );
        if (entries.length === 0) break;
        const done: string[] = [];
        for (const entry of entries) {
          if (streak >= 3) break;
          try {
            await applyEntry(ctx, entry, totals);
            done.push(entry.id);
            ctx.poisoned.delete(entry.id);
            streak = 0;
          } catch (error) {
            failed.add(entry.id);
            streak += 1;
            ctx.log.warn('a journal entry could not be applied yet; kept', {
              journalEntryId: entry.id,
              error,
            });
          }
        }
        if (done.length > 0) await ctx.journal.remove(done);
        totals.applied += done.length;
        if (done.length === 0) break; // nothing applied in this round: the store is likely down
      }
    } catch (error) {
      ctx.log.warn('journal replay stopped (the store may still be unavailable); retried later', {
        error,
      });
    }
    // Entries that failed while others were applied: the store is up, so the entry itself is the problem.
    if (totals.applied > 0) {
      for (const id of failed) {
        const count = (ctx.poisoned.get(id) ?? 0) + 1;
        ctx.poisoned.set(id, count);
        if (count === 3)
          ctx.log.error('a journal entry keeps failing while others apply; set aside (kept in the journal)', {
            journalEntryId: id,
          });
      }
    }
    ctx.replayDue = failed.size > 0 || ctx.poisoned.size > 0;
    return totals;
  })().finally(() => {
    ctx.replaying = undefined;
  });
  return ctx.replaying;
}

/** Apply one journal entry to the store (idempotent). Throws when the store fails. */
async function applyEntry(
  ctx: FlowContext,
  entry: JournalEntry,
  totals: { lateSuccesses: number },
): Promise<void> {
  if (entry.kind === 'checkout') {
    await ctx.store.attachCheckout(entry.paymentId, {
      merchantRequestId: entry.merchantRequestId,
      checkoutRequestId: entry.checkoutRequestId,
    });
    return;
  }
  const result = await processCallback(ctx, {
    eventId: entry.eventId,
    receivedAt: new Date(entry.receivedAt),
    body: entry.body,
    url: entry.url,
    address: entry.remoteAddress,
    fingerprint: bodyFingerprint(entry.body),
  });
  ctx.log.info('journaled callback applied', {
    outcome: result.outcome,
    reason: result.reason,
    paymentId: result.paymentId,
  });
  if (result.outcome === 'late_success') totals.lateSuccesses += 1;
  await runAfter(ctx, result.after, false);
}

/** Run the work that follows an answer, then (if asked) replay the journal. Never rejects. */
export function runAfter(
  ctx: FlowContext,
  after: (() => Promise<unknown>) | undefined,
  thenReplay: boolean,
): Promise<void> {
  return (async () => {
    if (after) {
      try {
        await after();
      } catch (error) {
        ctx.log.error('work after the callback failed; reconcile retries it', { error });
      }
    }
    if (thenReplay) await replay(ctx).catch(() => undefined);
  })();
}
