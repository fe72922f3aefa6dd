// Scheduled snapshots' part of the owner's API (pure): a VM's schedule, set, shown and switched off.
import { z } from 'zod';
import { method } from '../../src-vmm/base/rpc.js';
import { MAX_KEEP, parseDuration } from './schedule.js';

const Ref = z.string().min(1, 'a VM name or id is needed').max(4096);

/** A duration as people write it (30m, 2h, 1d); the owner checks it with the same rule as the CLI. */
export const Every = z
  .string()
  .max(64)
  .superRefine((text, ctx) => {
    // A text over the limit has its issue already; the duration's message would echo it.
    if (text.length > 64) return;
    const r = parseDuration(text);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
  });

export const ScheduleInfo = z.object({
  /** as text (2h) and in seconds */
  every: z.string(),
  everySeconds: z.number(),
  keep: z.number(),
  setAt: z.string(),
  lastRunAt: z.string().nullable(),
  /** what the last run did, in one sentence */
  lastResult: z.string().nullable(),
  nextRunAt: z.string(),
  /** the automatic snapshots the VM has now (a prune keeps `keep` of them) */
  automaticSnapshots: z.number(),
});
export type ScheduleInfo = z.infer<typeof ScheduleInfo>;

const ScheduleOf = z.object({ id: z.string(), name: z.string(), schedule: ScheduleInfo.nullable() });

export const scheduleApi = {
  'schedule.get': method(z.object({ ref: Ref }).strict(), ScheduleOf),
  /** a snapshot every `every` while the VM runs, keeping the last `keep` automatic ones (replaces a schedule it has) */
  'schedule.set': method(
    z
      .object({
        ref: Ref,
        every: Every,
        keep: z
          .number()
          .int('keep must be a whole number')
          .min(1, 'keep must be 1 or more (keeping none would delete each automatic snapshot as it is taken)')
          .max(MAX_KEEP, `keep must be at most ${MAX_KEEP}`),
      })
      .strict(),
    ScheduleOf,
  ),
  'schedule.off': method(z.object({ ref: Ref }).strict(), ScheduleOf),
};
