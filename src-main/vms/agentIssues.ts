// Refusals about the guest agent and shared folders (pure), each with the issue code every surface words
// its own advice from: the CLI names its flags, the interface its buttons.
import { HangarError, type ErrorCode } from '../../src-vmm/base/errors.js';
import { AGENT_ABSENT, SHARES_NEED_QUIESCE } from '../api/issueCodes.js';

function withIssue(code: ErrorCode, message: string, issue: { code: string; data: Record<string, unknown> }): HangarError {
  return new HangarError(code, message, { details: { issues: [{ path: '', message, ...issue }] } });
}

/** No guest agent answers in the VM; `consequence` says what that means for the request ("so the command cannot run"). */
export function agentAbsentError(vm: string, consequence: string): HangarError {
  return withIssue('UNSUPPORTED', `no guest agent answers in VM '${vm}', ${consequence}`, { code: AGENT_ABSENT, data: { vm } });
}

/** A host error that says no agent answered (the VM's host marks it so). */
export function isAgentAbsent(e: unknown): boolean {
  return e instanceof HangarError && (e.details as { agent?: string } | undefined)?.agent === 'absent';
}

/**
 * A running VM with shared folders cannot keep its RAM state in a snapshot (QEMU cannot migrate it), and
 * without an agent its file systems cannot be frozen for a disk-only one.
 */
export function sharesNeedQuiesceError(vm: string, tags: readonly string[], clipboard = false): HangarError {
  const what = [...(tags.length ? [`host folders (${tags.map((t) => `'${t}'`).join(', ')})`] : []), ...(clipboard ? ['its clipboard'] : [])].join(' and ');
  return withIssue(
    'STATE_CONFLICT',
    `VM '${vm}' shares ${what}, so its running state cannot be kept in a snapshot, and no guest agent answers to freeze its file systems for a snapshot of its disks alone`,
    { code: SHARES_NEED_QUIESCE, data: { vm, tags: [...tags], clipboard } },
  );
}
