// Field rules shared by the New VM wizard and the Settings dialog. Each one is the API's own rule
// (the same zod schema or function from src-vmm/model), so the interface shows the message the API
// would return. A rule returns its messages; an empty list means the value is fine.
import { z } from 'zod';
import { MAX_DESCRIPTION_LENGTH } from '../../src-vmm/model/limits.js';
import { AbsPath, newVmNameProblems, vmNameProblems } from '../../src-vmm/model/names.js';
import { SystemSection } from '../../src-vmm/model/system.js';
import { PortForward } from '../../src-vmm/model/nics.js';
import { nameKey } from '../../src-main/inventory/rows.js';

/** A problem with one field; `field` names the input it belongs to. */
export interface FieldIssue {
  field: string;
  message: string;
}

export function messagesOf(result: z.ZodSafeParseResult<unknown>): string[] {
  return result.success ? [] : result.error.issues.map((i) => i.message);
}

/** A whole number as typed: empty or anything but digits is NaN, so the schema says "must be a number". */
export function numberFromText(text: string): number {
  const t = text.trim();
  if (t === '' || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) return Number.NaN;
  return Number(t);
}

/** The name rules of the API plus uniqueness (case-insensitive, as the inventory compares). */
export function nameIssues(name: string, existingNames: readonly string[], ownName?: string): string[] {
  // A new name follows the rules for new VMs (no option- or id-shaped names); a kept one is not re-judged.
  const problems = ownName !== undefined && name === ownName ? vmNameProblems(name) : newVmNameProblems(name);
  if (problems.length) return problems;
  const key = nameKey(name);
  const clash = existingNames.find((n) => nameKey(n) === key && (ownName === undefined || nameKey(ownName) !== key));
  return clash === undefined ? [] : [`a VM named '${clash}' already exists`];
}

export function cpusIssues(text: string): string[] {
  return messagesOf(SystemSection.shape.cpus.safeParse(numberFromText(text)));
}

export function memoryIssues(text: string): string[] {
  return messagesOf(SystemSection.shape.memoryMiB.safeParse(numberFromText(text)));
}

export function descriptionIssues(text: string): string[] {
  return text.length > MAX_DESCRIPTION_LENGTH ? [`description must be at most ${MAX_DESCRIPTION_LENGTH} characters`] : [];
}

/** An absolute path to a file the owner will open (ISO, disk image). Empty counts as missing. */
export function pathIssues(text: string, what: string): string[] {
  if (text.trim() === '') return [`choose ${what}`];
  return messagesOf(AbsPath.safeParse(text));
}

/** A port forward row as typed in the table. */
export interface ForwardDraft {
  protocol: 'tcp' | 'udp';
  hostAddress: string;
  hostPort: string;
  guestPort: string;
}

export type ForwardValue = z.output<typeof PortForward>;

export function forwardFromDraft(f: ForwardDraft): ForwardValue | null {
  const r = PortForward.safeParse({
    protocol: f.protocol,
    hostAddress: f.hostAddress.trim() === '' ? undefined : f.hostAddress.trim(),
    hostPort: numberFromText(f.hostPort),
    guestPort: numberFromText(f.guestPort),
  });
  return r.success ? r.data : null;
}

/**
 * Problems of each forward row (field `forwards.<i>.<hostPort|guestPort|hostAddress>`), and the
 * API's rule that one host port is forwarded once per protocol and address (0.0.0.0 covers all).
 */
export function forwardIssues(rows: readonly ForwardDraft[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen: ForwardValue[] = [];
  rows.forEach((row, i) => {
    const r = PortForward.safeParse({
      protocol: row.protocol,
      hostAddress: row.hostAddress.trim() === '' ? undefined : row.hostAddress.trim(),
      hostPort: numberFromText(row.hostPort),
      guestPort: numberFromText(row.guestPort),
    });
    if (!r.success) {
      for (const issue of r.error.issues) issues.push({ field: `forwards.${i}.${String(issue.path[0] ?? 'hostPort')}`, message: issue.message });
      return;
    }
    const f = r.data;
    const clash = seen.some(
      (g) => g.protocol === f.protocol && g.hostPort === f.hostPort && (g.hostAddress === f.hostAddress || g.hostAddress === '0.0.0.0' || f.hostAddress === '0.0.0.0'),
    );
    if (clash) issues.push({ field: `forwards.${i}.hostPort`, message: `host port ${f.protocol} ${f.hostAddress}:${f.hostPort} is forwarded more than once` });
    seen.push(f);
  });
  return issues;
}

/** The first message for a field, for a text field's helper text. */
export function issueFor(issues: readonly FieldIssue[], field: string): string | undefined {
  return issues.find((i) => i.field === field)?.message;
}

export function issuesToFields(field: string, messages: readonly string[]): FieldIssue[] {
  return messages.map((message) => ({ field, message }));
}
