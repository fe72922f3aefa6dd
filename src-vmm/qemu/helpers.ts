// The command lines of the helper processes a VM's host starts beside QEMU (pure): virtiofsd for each
// virtio-fs share. Argument arrays, never shell strings; sockets in the VM's private run folder.

/** Where share `index`'s virtiofsd listens: by index, so a long tag cannot overflow a socket path. */
export function virtiofsSocket(runDir: string, index: number): string {
  return `${runDir}/fs-${index}.sock`;
}

/**
 * A value inside a FUSE `-o` option list: ',' separates options and '\' escapes, so both are escaped
 * with a backslash (fuse_opt_parse's rule).
 */
export function fuseOptEscape(value: string): string {
  return value.replace(/[\\,]/g, (c) => `\\${c}`);
}

/**
 * virtiofsd (QEMU's C daemon, as Debian ships it in qemu-system-common) serving one folder.
 * - sandbox=namespace: it pivots into the shared folder in its own mount, PID and network namespaces,
 *   so a guest cannot reach anything outside the folder (symlinks are resolved inside it);
 * - cache=auto: the guest caches data and metadata for a short while (the default, shown for clarity);
 * - announce_submounts: folders mounted inside the share show as separate file systems in the guest;
 * - no --daemonize: the VM's host supervises it, and it ends when QEMU closes the socket.
 */
export function virtiofsdArgs(o: { socket: string; source: string }): string[] {
  return [`--socket-path=${o.socket}`, '-o', `source=${fuseOptEscape(o.source)}`, '-o', 'sandbox=namespace', '-o', 'cache=auto', '-o', 'announce_submounts'];
}
