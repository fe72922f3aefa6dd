// The Snapshots tab of the selected VM: toolbar, the snapshot tree ("Current state" under the
// current snapshot), the context menu and the Take / Restore / Delete / Edit dialogs.
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_TIMEOUT_MS, fieldError, waitUntil } from './util.js';

export type SnapshotButton = 'Take snapshot' | 'Restore' | 'Delete' | 'Edit' | 'Clone';
export type SnapshotMenuItem = 'Take snapshot' | 'Restore' | 'Delete' | 'Edit' | 'Clone';

/** One visible node of the tree, in display order. */
export interface SnapshotOutlineRow {
  name: string;
  /** 1 for roots */
  level: number;
  /** the snapshot the current state is based on */
  current: boolean;
  expanded: boolean | null;
  selected: boolean;
  /** badges and age as read out: "3 minutes ago, with running state, current snapshot" */
  description: string;
}

export const CURRENT_STATE = 'Current state';

export class SnapshotsView {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('tabpanel', { name: 'Snapshots', exact: true });
  }

  /** Clicks the VM's Snapshots tab and waits for the tree. */
  async open(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<this> {
    await this.page.getByRole('tablist', { name: 'VM views' }).getByRole('tab', { name: 'Snapshots', exact: true }).click();
    await this.waitReady(timeoutMs);
    return this;
  }
  async waitReady(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.node(CURRENT_STATE).waitFor({ timeout: timeoutMs });
  }

  get toolbar(): Locator {
    return this.root.getByRole('toolbar', { name: 'Snapshot actions' });
  }
  button(name: SnapshotButton): Locator {
    return this.toolbar.getByRole('button', { name, exact: true });
  }
  async isEnabled(name: SnapshotButton): Promise<boolean> {
    return this.button(name).isEnabled();
  }
  /** Why a toolbar button is disabled (its tooltip, often the API's words), or null when it is enabled. */
  async whyDisabled(name: SnapshotButton): Promise<string | null> {
    const b = this.button(name);
    if (await b.isEnabled()) return null;
    return (await b.locator('xpath=..').getAttribute('aria-label')) ?? 'disabled';
  }
  /** Clicks a toolbar button, failing at once with the reason when it is disabled. */
  private async press(name: SnapshotButton): Promise<void> {
    const why = await this.whyDisabled(name);
    if (why !== null) throw new Error(`'${name}' is disabled: ${why}`);
    await this.button(name).click();
  }
  get tree(): Locator {
    return this.root.getByRole('tree', { name: 'Snapshots' });
  }
  node(name: string): Locator {
    return this.tree.getByRole('treeitem', { name, exact: true });
  }
  get currentState(): Locator {
    return this.node(CURRENT_STATE);
  }
  get details(): Locator {
    return this.root.getByRole('region', { name: 'Snapshot details' });
  }

  /** The snapshot names shown, in display order (the "Current state" node left out). */
  async names(): Promise<string[]> {
    return (await this.outline()).map((r) => r.name).filter((n) => n !== CURRENT_STATE);
  }
  /** Every visible node with its level and flags. */
  async outline(): Promise<SnapshotOutlineRow[]> {
    return this.tree.getByRole('treeitem').evaluateAll((els) =>
      els.map((e) => ({
        name: e.getAttribute('aria-label') ?? '',
        level: Number(e.getAttribute('aria-level') ?? '0'),
        current: e.getAttribute('aria-current') === 'true',
        expanded: e.hasAttribute('aria-expanded') ? e.getAttribute('aria-expanded') === 'true' : null,
        selected: e.getAttribute('aria-selected') === 'true',
        description: e.getAttribute('aria-description') ?? '',
      })),
    );
  }
  /** The name of the snapshot whose child "Current state" is: the node just above it at one level less. */
  async currentName(): Promise<string | null> {
    const rows = await this.outline();
    const i = rows.findIndex((r) => r.name === CURRENT_STATE);
    if (i < 0) return null;
    const level = rows[i]!.level;
    for (let k = i - 1; k >= 0; k--) if (rows[k]!.level === level - 1) return rows[k]!.name;
    return null;
  }
  /** Whether `name` is the current snapshot (the one "Current state" hangs under). */
  async isCurrent(name: string): Promise<boolean> {
    return (await this.node(name).getAttribute('aria-current')) === 'true';
  }
  /** Whether the current state has changes no snapshot holds. */
  async isChanged(): Promise<boolean> {
    return /changed/.test((await this.currentState.getAttribute('aria-description')) ?? '');
  }
  async selected(): Promise<string | null> {
    const sel = this.tree.getByRole('treeitem', { selected: true });
    return (await sel.count()) ? sel.getAttribute('aria-label') : null;
  }

  async waitForNode(name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.node(name).waitFor({ timeout: timeoutMs });
  }
  async waitForNodeGone(name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.node(name).waitFor({ state: 'detached', timeout: timeoutMs });
  }
  async waitForCurrent(name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await waitUntil(() => this.isCurrent(name), (v) => v, `snapshot '${name}' to be current`, timeoutMs);
  }

  /** Selects a node with a click (it must be visible: collapsed branches hide their nodes). */
  async select(name: string): Promise<void> {
    await this.node(name).click();
    await waitUntil(() => this.selected(), (s) => s === name, `snapshot '${name}' to be selected`);
  }
  async expand(name: string): Promise<void> {
    if ((await this.node(name).getAttribute('aria-expanded')) === 'false') {
      await this.select(name);
      await this.page.keyboard.press('ArrowRight');
    }
  }

  /** Opens the context menu of a node (right click) and returns it. */
  async contextMenu(name: string): Promise<Locator> {
    await this.node(name).click({ button: 'right' });
    const menu = this.page.getByRole('menu', { name: `Actions for ${name}` });
    await menu.waitFor();
    return menu;
  }
  async menuItem(name: string, item: SnapshotMenuItem): Promise<Locator> {
    return (await this.contextMenu(name)).getByRole('menuitem', { name: new RegExp(`^${item}`) });
  }

  // ---------------------------------------------------------------- dialogs

  dialog(kind: 'Take' | 'Restore' | 'Delete' | 'Edit'): Locator {
    const name = { Take: /^Take a snapshot of /, Restore: /^Restore snapshot /, Delete: /^Delete snapshot /, Edit: /^Edit snapshot / }[kind];
    return this.page.getByRole('dialog', { name });
  }
  /** The error shown in an open dialog (the API's words), or null. */
  async dialogError(kind: 'Take' | 'Restore' | 'Delete' | 'Edit'): Promise<string | null> {
    const a = this.dialog(kind).getByRole('alert');
    return (await a.count()) ? (await a.first().innerText()).trim() : null;
  }

  /** Takes a snapshot with the toolbar; waits until the owner is done and the node shows. */
  async take(name: string, description?: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const d = await this.openTake();
    const field = d.getByRole('textbox', { name: 'Name', exact: true });
    await field.fill(name);
    if (description !== undefined) await d.getByRole('textbox', { name: 'Description' }).fill(description);
    const problem = await fieldError(this.page, field);
    if (problem) throw new Error(`the snapshot name '${name}' is refused: ${problem}`);
    await d.getByRole('button', { name: 'Take', exact: true }).click();
    await this.waitClosed(d, opts.timeoutMs ?? 120_000);
    await this.waitForNode(name);
  }
  async openTake(): Promise<Locator> {
    await this.press('Take snapshot');
    const d = this.dialog('Take');
    await d.waitFor();
    return d;
  }

  /**
   * Restores a snapshot through the confirmation. When the current state has changed the dialog
   * offers to take a snapshot first: `takeSnapshotFirst` says yes (optionally with its name); the
   * default is no.
   */
  async restore(name: string, opts: { takeSnapshotFirst?: boolean; snapshotName?: string; timeoutMs?: number } = {}): Promise<void> {
    const d = await this.openRestore(name);
    const first = d.getByRole('checkbox', { name: 'Take a snapshot first' });
    if (await first.count()) {
      await first.setChecked(opts.takeSnapshotFirst ?? false);
      if (opts.takeSnapshotFirst && opts.snapshotName !== undefined) await d.getByRole('textbox', { name: 'Snapshot name' }).fill(opts.snapshotName);
    } else if (opts.takeSnapshotFirst) throw new Error('the restore dialog does not offer to take a snapshot first: the current state has not changed');
    await d.getByRole('button', { name: 'Restore', exact: true }).click();
    await this.waitClosed(d, opts.timeoutMs ?? 120_000);
    await this.waitForCurrent(name);
  }
  async openRestore(name: string): Promise<Locator> {
    await this.select(name);
    await this.press('Restore');
    const d = this.dialog('Restore');
    await d.waitFor();
    return d;
  }

  /** Deletes a snapshot through the confirmation (after its cost is shown); waits until it is gone. */
  async delete(name: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const d = await this.openDelete(name);
    const refusal = await this.deleteRefusal();
    if (refusal) throw new Error(`deleting '${name}' is refused: ${refusal}`);
    const confirm = d.getByRole('button', { name: 'Delete', exact: true });
    await waitUntil(() => confirm.isEnabled(), (v) => v, `the Delete button of '${name}'`);
    await confirm.click();
    await this.waitClosed(d, opts.timeoutMs ?? 300_000);
    await this.waitForNodeGone(name);
  }
  /** Opens the delete confirmation and waits for the plan's figures (or the error that replaces them). */
  async openDelete(name: string): Promise<Locator> {
    await this.select(name);
    await this.press('Delete');
    const d = this.dialog('Delete');
    await d.waitFor();
    await this.costs.or(d.getByRole('alert')).first().waitFor();
    return d;
  }
  private get costs(): Locator {
    return this.dialog('Delete').getByLabel('What deleting costs', { exact: true });
  }
  /** The delete plan as shown: label → value ("Data to merge", "Free space needed", "Free space available", "Time"). */
  async deleteFigures(): Promise<Record<string, string>> {
    const pairs = await this.costs.evaluate((dl) => [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent ?? '', dt.nextElementSibling?.textContent ?? ''] as const));
    return Object.fromEntries(pairs);
  }
  /** Why deleting is refused (the linked clones), or null. */
  async deleteRefusal(): Promise<string | null> {
    const a = this.dialog('Delete').getByRole('alert').filter({ hasText: 'cannot be deleted' });
    return (await a.count()) ? (await a.innerText()).trim() : null;
  }

  /** Renames a snapshot and sets its description (when given). */
  async edit(name: string, newName: string, description?: string): Promise<void> {
    await this.select(name);
    await this.press('Edit');
    const d = this.dialog('Edit');
    await d.waitFor();
    const field = d.getByRole('textbox', { name: 'Name', exact: true });
    await field.fill(newName);
    if (description !== undefined) await d.getByRole('textbox', { name: 'Description' }).fill(description);
    const problem = await fieldError(this.page, field);
    if (problem) throw new Error(`the snapshot name '${newName}' is refused: ${problem}`);
    const save = d.getByRole('button', { name: 'Save', exact: true });
    if (await save.isEnabled()) await save.click();
    else await d.getByRole('button', { name: 'Cancel', exact: true }).click();
    await this.waitClosed(d, DEFAULT_TIMEOUT_MS);
    await this.waitForNode(newName);
  }

  /** Cancels the long call running in an open dialog (take, restore or delete). */
  async cancelRunning(kind: 'Take' | 'Restore' | 'Delete'): Promise<void> {
    await this.dialog(kind).getByRole('button', { name: /^Cancel / }).click();
  }

  /** Waits for a dialog to close; fails early with its error (role alert: errors only) when the call failed. */
  private async waitClosed(d: Locator, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!(await d.isVisible())) return;
      const busy = await d.getByRole('progressbar').count();
      const err = d.getByRole('alert');
      if (!busy && (await err.count())) throw new Error(`the dialog shows an error: ${(await err.first().innerText()).trim()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the dialog to close`);
      await d.waitFor({ state: 'detached', timeout: 250 }).catch(() => undefined);
    }
  }
}
