// Groups and tags of VMs (pure): the rules a group path and a tag follow, and the changes to a VM's
// tags. A group is a path as VirtualBox's: '/' (no group), '/lab', '/lab/web'. Tags are free words.
// The same schemas check the API's input (the owner) and the interface's fields (before a request).
import { z } from 'zod';

export const ROOT_GROUP = '/';
export const MAX_GROUP_PATH_LENGTH = 512;
export const MAX_GROUP_DEPTH = 16;
export const MAX_GROUP_NAME_LENGTH = 64;
export const MAX_TAG_LENGTH = 32;
export const MAX_TAGS = 32;

/** C0 and C1 controls, and the bidi controls that reorder what a name shows */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

const shown = (s: string, max = 40) => JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

/** What is wrong with a group path, in one line; null when it is a good one. */
export function groupPathProblem(path: string): string | null {
  if (path === '') return "a group path is needed: '/' for no group, or one such as '/lab/web'";
  if (path.length > MAX_GROUP_PATH_LENGTH) return `a group path is at most ${MAX_GROUP_PATH_LENGTH} characters (this one has ${path.length})`;
  if (!path.startsWith('/')) return `group path ${shown(path)} must start with '/' (such as '/${path.replace(/^\/*/, '').slice(0, 30)}')`;
  if (path === ROOT_GROUP) return null;
  if (path.endsWith('/')) return `group path ${shown(path)} must not end with '/'`;
  const names = path.slice(1).split('/');
  if (names.length > MAX_GROUP_DEPTH) return `groups nest at most ${MAX_GROUP_DEPTH} deep (${shown(path)} is ${names.length} deep)`;
  for (const n of names) {
    if (n === '') return `group path ${shown(path)} has an empty group name ('//')`;
    if (n === '.' || n === '..') return `group path ${shown(path)} may not name '.' or '..'`;
    if (n.length > MAX_GROUP_NAME_LENGTH) return `a group name is at most ${MAX_GROUP_NAME_LENGTH} characters (${shown(n)} has ${n.length})`;
    if (n.trim() !== n) return `group name ${shown(n)} must not start or end with a space`;
    if (HIDDEN.test(n)) return `group name ${shown(n)} has a control character`;
  }
  return null;
}

/** What is wrong with a tag, in one line; null when it is a good one. */
export function tagProblem(tag: string): string | null {
  if (tag === '') return 'a tag cannot be empty';
  if (tag.length > MAX_TAG_LENGTH) return `a tag is at most ${MAX_TAG_LENGTH} characters (${shown(tag)} has ${tag.length})`;
  if (!/^[\p{L}\p{N}][\p{L}\p{N}._:+@-]*$/u.test(tag)) return `tag ${shown(tag)} may hold letters, digits and . _ : + @ - only, and starts with a letter or digit`;
  return null;
}

export const GroupPath = z.string().superRefine((s, ctx) => {
  const p = groupPathProblem(s);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});
export const Tag = z.string().superRefine((s, ctx) => {
  const p = tagProblem(s);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});
export const TagList = z.array(Tag).max(MAX_TAGS, `a VM has at most ${MAX_TAGS} tags`);

export const tagKey = (t: string) => t.toLowerCase();

/**
 * The tags after adding and removing (without regard to case; an added tag keeps the spelling it
 * had, or the new one when new). Removing a tag the VM lacks is no error. Throws nothing: returns a
 * problem when the VM would have too many.
 */
export function changeTags(current: readonly string[], add: readonly string[], remove: readonly string[]): { tags: string[] } | { problem: string } {
  const gone = new Set(remove.map(tagKey));
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of [...current, ...add]) {
    const k = tagKey(t);
    if (gone.has(k) || seen.has(k)) continue;
    seen.add(k);
    out.push(t);
  }
  if (out.length > MAX_TAGS) return { problem: `a VM has at most ${MAX_TAGS} tags (this would give it ${out.length})` };
  return { tags: out };
}

/** Whether a VM in group `path` is in `group` or one of its subgroups ('/' holds every VM). */
export function inGroup(path: string, group: string): boolean {
  return group === ROOT_GROUP || path === group || path.startsWith(`${group}/`);
}

/** The groups a path lies in, outermost first: '/lab/web' → ['/lab', '/lab/web']; '/' → []. */
export function groupAncestors(path: string): string[] {
  if (path === ROOT_GROUP) return [];
  const names = path.slice(1).split('/');
  return names.map((_, i) => `/${names.slice(0, i + 1).join('/')}`);
}

/** The last name of a group path ('/lab/web' → 'web'). */
export function groupName(path: string): string {
  return path === ROOT_GROUP ? '/' : path.slice(path.lastIndexOf('/') + 1);
}
