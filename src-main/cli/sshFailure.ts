// What the system's ssh client printed when it exited with 255 (its own failure), read for one question:
// is the server still coming up, so that trying again in a moment can succeed?

/** ssh's messages for a connection the server dropped or did not answer in time (OpenSSH 8–9). */
const DROPPED = [
  /kex_exchange_identification:/,
  /ssh_exchange_identification:/,
  /Connection timed out during banner exchange/,
  /Connection (closed|reset) by \S+ port \d+/,
  /connect to host \S+ port \d+: Connection (refused|reset|timed out)/,
  /Broken pipe/,
];

/** ssh's messages for an answer that trying again will not change: a refused login, a host key that differs. */
const ANSWERED = [/Permission denied/, /Host key verification failed/, /REMOTE HOST IDENTIFICATION HAS CHANGED/, /Too many authentication failures/];

/**
 * Whether ssh's stderr (from an exit with 255) says the server dropped the connection or did not answer
 * in time, rather than answered with a refusal. A refusal wins when both appear.
 */
export function isTransientSshFailure(stderr: string): boolean {
  if (ANSWERED.some((re) => re.test(stderr))) return false;
  return DROPPED.some((re) => re.test(stderr));
}
