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

/** Where swtpm serves its control channel, which QEMU's tpm-emulator connects to. */
export function tpmSocket(runDir: string): string {
  return `${runDir}/swtpm.sock`;
}

/**
 * swtpm emulating a TPM 2.0 for one VM.
 * - --tpmstate: its state (the permanent state file) in the VM's folder, private to the user;
 * - --ctrl unixio: the control channel QEMU connects to (the TPM commands travel over it too);
 * - --terminate: it ends when QEMU closes the channel, so it never outlives the VM;
 * - no --flags startup-*: QEMU's tpm-emulator initialises the TPM itself (and restores it from a state).
 */
export function swtpmArgs(o: { socket: string; stateDir: string; log: string }): string[] {
  return [
    'socket',
    '--tpm2',
    '--tpmstate', `dir=${o.stateDir},mode=0600`,
    '--ctrl', `type=unixio,path=${o.socket},mode=0600`,
    '--log', `file=${o.log},level=1`,
    '--terminate',
  ];
}
