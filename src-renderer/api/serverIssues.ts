// A server error placed on a form. Errors carry their problems as data (`details.issues`: a path in
// the request's own shape, a message, and for some a code), so a form maps each path to its field
// instead of reading the message. Problems no field holds stay with the form as a whole.
import { errorIssues, type ErrorIssue } from '../../src-vmm/base/errors.js';
import type { FieldIssue } from '../components/fields.js';

export interface PlacedError {
  /** problems at a field of the form */
  fields: FieldIssue[];
  /** what no field holds: the error's message (or its issues that have no field) */
  general: string[];
  /** the issues as they came, for advice by code */
  issues: ErrorIssue[];
}

/** `fieldOf` names the form field of a request path ('system.cpus' → 'cpus'), or undefined for none. */
export function placeServerError(e: { message: string; details?: unknown }, fieldOf: (path: string) => string | undefined): PlacedError {
  const issues = errorIssues(e);
  const fields: FieldIssue[] = [];
  const general: string[] = [];
  for (const issue of issues) {
    const field = issue.path === '' ? undefined : fieldOf(issue.path);
    if (field === undefined) general.push(issue.message);
    else fields.push({ field, message: issue.message });
  }
  if (issues.length === 0 || (fields.length === 0 && general.length === 0)) general.push(e.message);
  else if (fields.length === 0) {
    // Only general issues: the error's own sentence says them best (it names the VM, the files…).
    general.length = 0;
    general.push(e.message);
  }
  return { fields, general, issues };
}

/** A path and the paths under it: 'disk' covers 'disk.image' and 'disk'. */
export function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}
