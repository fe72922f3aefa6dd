// Test-only: with HANGAR_TEST=1 and HANGAR_TEST_CLOCK=FILE, the owner's scheduler lives by the time
// written in FILE (ISO 8601), a ManualClock moved each time the file changes. Integration tests drive
// a schedule of hours with it, without waiting (as HANGAR_FAULT drives crashes).
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { ManualClock, type Clock } from './clock.js';

export function testClockFromEnv(log: (line: string) => void): (Clock & { dispose(): void }) | undefined {
  const file = process.env.HANGAR_TEST_CLOCK;
  if (!file || process.env.HANGAR_TEST !== '1') return undefined;
  const read = () => {
    try {
      const t = Date.parse(readFileSync(file, 'utf8').trim());
      return Number.isNaN(t) ? null : t;
    } catch {
      return null;
    }
  };
  const clock = new ManualClock(read() ?? Date.now());
  watchFile(file, { interval: 100 }, () => {
    const t = read();
    if (t !== null) clock.set(t);
  });
  log(`test clock: the scheduler's time is read from ${file} (${new Date(clock.now()).toISOString()})`);
  return Object.assign(clock, { dispose: () => unwatchFile(file) });
}
