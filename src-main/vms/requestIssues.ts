// Config issues in the words and shape of the request that caused them. The model names its own paths
// ('disks[0].bus', 'opticals[0].path'); a create request has one `disk` and an `iso` instead, so a form
// can put each problem at the field that holds it.
import { invalidInput, type ErrorIssue, type HangarError } from '../../src-vmm/base/errors.js';
import { formatIssues, type ConfigIssue } from '../../src-vmm/model/index.js';

/** Config path prefixes and the request field they come from (or a function that maps the match). */
export type RequestPaths = readonly (readonly [RegExp, string | ((m: RegExpExecArray) => string)])[];

/** vm.create: its one disk is disks[0], its ISO the first drive. */
export const CREATE_PATHS: RequestPaths = [
  [/^disks\[0\](\..*)?$/, 'disk'],
  [/^opticals\[0\](\..*)?$/, 'iso'],
];

/**
 * vm.modify: a disk it adds is the one at `addedDisk`; the ISO goes into the first drive; the shares it
 * adds follow the `keptShares` that stay (config shares[keptShares + j] is addShares[j]).
 */
export function modifyPaths(addedDisk: number | null, keptShares: number | null = null): RequestPaths {
  return [
    ...(addedDisk === null ? [] : [[new RegExp(`^disks\\[${addedDisk}\\](\\..*)?$`), 'addDisk'] as const]),
    [/^opticals\[0\](\..*)?$/, 'iso'],
    ...(keptShares === null ? [] : [[/^shares\[(\d+)\](\..*)?$/, (m: RegExpExecArray) => (Number(m[1]) >= keptShares ? `addShares[${Number(m[1]) - keptShares}]${m[2] ?? ''}` : m[0])] as const]),
  ];
}

export function requestPath(configPath: string, paths: RequestPaths): string {
  for (const [re, field] of paths) {
    const m = re.exec(configPath);
    if (m) return typeof field === 'string' ? field : field(m);
  }
  return configPath;
}

/** INVALID_INPUT carrying each config issue at its request path; the message is the config's words. */
export function configInvalid(issues: readonly ConfigIssue[], paths: RequestPaths = []): HangarError {
  const out: ErrorIssue[] = issues.map((i) => ({ path: requestPath(i.path, paths), message: formatIssues([i]) }));
  return invalidInput(out, { message: formatIssues(issues) });
}
