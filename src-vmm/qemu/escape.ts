// QEMU's key=value option syntax (QemuOpts / keyval): a ',' inside a value is written ',,'.

/**
 * Escapes user text or a path placed inside a QEMU key=value option, e.g. `path=<here>` in -chardev.
 * Only commas need it: they end a value unless doubled. A value must also have a key in front of it
 * (`vnc=unix:…`, not an implied first value), or an '=' in it would be read as a key.
 */
export function escapeQemuOpt(value: string): string {
  return value.replaceAll(',', ',,');
}

/** Builds `key=value,key=value` with every value escaped; keys are ours and never need it. */
export function qemuOpts(pairs: readonly (readonly [string, string | number | boolean])[]): string {
  return pairs.map(([k, v]) => `${k}=${escapeQemuOpt(typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v))}`).join(',');
}
