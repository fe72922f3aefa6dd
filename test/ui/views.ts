// The screenshots the interface preview writes (test/ui/shoot.node.ts), in order, with the window
// size of each. The script refuses a name not listed here and the CI test checks that each was
// written, so the two cannot drift apart.

export const WIDE = { width: 1280, height: 800 } as const;
export const NARROW = { width: 600, height: 900 } as const;

export interface ShotSpec {
  name: string;
  width: number;
  height: number;
}

const wide = (...names: string[]): ShotSpec[] => names.map((name) => ({ name, ...WIDE }));
const narrow = (...names: string[]): ShotSpec[] => names.map((name) => ({ name, ...NARROW }));

export const UI_PREVIEW_SHOTS: readonly ShotSpec[] = [
  // the VM list and details, console and display
  ...wide('01-main-details', '02-aborted-details', '03-console', '04-display', '05-display-ctrl-alt-del', '06-display-not-running'),
  // the New VM wizard
  ...wide('07-wizard-name-error', '08-file-dialog', '09-wizard-hardware-errors', '10-wizard-guest-integration', '10-wizard-summary', '11-wizard-server-error'),
  // tasks, settings, errors, the connection banner, dialogs
  ...wide('12-tasks', '13-tasks-running', '14-settings-locked', '15-settings-network-error', '16-settings-storage', '17-error-notification'),
  ...wide('18-reconnecting', '19-delete-dialog', '20-keyboard-focus'),
  // snapshots
  ...wide('21-snapshots', '22-age-tooltip', '23-snapshot-menu', '24-take-progress', '25-take-cancelled', '26-restore-dialog'),
  ...wide('27-delete-dialog', '28-delete-refused', '29-take-error', '30-snapshots-empty', '31-big-tree'),
  // the Clone wizard and the Clones section
  ...wide('32-clone-name', '33-clone-type', '34-clone-source', '35-clone-summary', '36-clone-linked', '37-clone-source-dependents'),
  // appliances
  ...wide('38-import-file', '39-import-file-dialog', '40-import-review', '41-import-review-bottom', '42-imported'),
  ...wide('43-export-vms', '44-export-format', '45-export-appliance', '46-export-summary', '47-tasks-clone-import-export'),
  // dark theme
  ...wide('48-dark-main', '49-dark-console', '50-dark-settings', '51-dark-snapshots', '52-dark-delete-dialog', '53-dark-context-menu'),
  // a narrow window
  ...narrow('54-narrow-list', '55-narrow-details', '56-narrow-snapshots'),
];

/** What the script writes to report.json; the CI test reads it. */
export interface UiPreviewReport {
  ok: boolean;
  shots: ShotSpec[];
  /** errors in the page and failed requests */
  problems: string[];
  /** problems the script lets pass, each with the reason (see KNOWN in shoot.node.ts) */
  known: string[];
  /** the first check that failed, if any */
  failure: string | null;
  /** figures printed for people (timings are not checked) */
  notes: string[];
}
