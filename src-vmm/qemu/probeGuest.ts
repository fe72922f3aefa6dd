// The accelerator probe guest: a 512-byte x86 boot sector that checks timer interrupts, enters
// 64-bit long mode, writes PROBE_MARKER_LONG_MODE to COM1, runs a fixed amount of ordinary work,
// then writes PROBE_MARKER_OK (source and the reasons: test/fixtures/probe-guest/probe.S).
// Regenerate after editing probe.S: `bash test/fixtures/probe-guest/build.sh` prints the base64 below.
// The unit test test/unit/src-vmm/qemu/probe.test.ts rebuilds it and compares the bytes.

export const PROBE_GUEST_BASE64 =
  '+uoGfAAAMcCO2I7AjtC8AHz8+4sebAT0oWwEKdiD+ANy9fq/ABBmMcC5AAxm86tmxwYAEAMgAABmxwYAIAMwAAC/ADBmuIMA' +
  'AAC5CABmiQVmBQAAIACDxwji8g8g4GaDyCAPIuBmuAAQAAAPIthmuYAAAMAPMmYNAAEAAA8wZg8BFkB9DyDAZg0BAACADyLA' +
  '6pV8CABmuBAAjtiOwI7QvAB8AABIjTVcAAAA6EAAAAC5gJaYAP/Jdfy+AAAgAL8AAGAAuQAAQACKBogHSP/GSP/H/8l18kiN' +
  'NToAAADoDgAAAGa6BAZmuAAgZu/69Ov8uRAAAABmuv0D7KggdPtmuvgDrO7i78NIQU5HQVItUFJPQkUtTE0KSEFOR0FSLVBS' +
  'T0JFLU9LCpAAAAAAAAAAAAAAAAAAmiAAAAAAAACSAAAXACh9AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAVao=';

/** Written from long mode, before the timed work. */
export const PROBE_MARKER_LONG_MODE = 'HANGAR-PROBE-LM\n';
/** Written after the timed work: the probe passed. */
export const PROBE_MARKER_OK = 'HANGAR-PROBE-OK\n';

/** The boot sector's bytes (a fresh copy each call). */
export function probeGuestSector(): Uint8Array {
  return Uint8Array.from(atob(PROBE_GUEST_BASE64), (c) => c.charCodeAt(0));
}
