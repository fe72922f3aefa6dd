// The Clone wizard (name and MAC addresses, clone type, source state, summary, then vm.clone with
// progress and cancel), and the Clones section of the Details tab (linked base, Promote, dependents).
import type { Locator, Page } from 'playwright-core';
import { SnapshotsView } from './SnapshotsView.js';
import { DEFAULT_TIMEOUT_MS, fieldError } from './util.js';

export type CloneStep = 'Name and MAC addresses' | 'Clone type' | 'Source state' | 'Summary';
const STEPS: readonly CloneStep[] = ['Name and MAC addresses', 'Clone type', 'Source state', 'Summary'];

export interface CloneAnswers {
  name?: string;
  type?: 'Full' | 'Linked';
  /** 'Current state' or a snapshot's name; left as it is (the preselection) when absent */
  source?: string;
  mac?: 'new' | 'keep';
}

/** Where an error can show: the name field, the source step, or the summary (state, disks, space). */
export type CloneErrorField = 'name' | 'type' | 'source' | 'summary';

export class CloneWizard {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: /^Clone “/ });
  }

  async waitOpen(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<this> {
    await this.root.waitFor({ timeout: timeoutMs });
    return this;
  }

  /** Opens the wizard for the selected VM with the main toolbar's Clone button. */
  async open(): Promise<this> {
    await this.page.getByRole('toolbar', { name: 'Main toolbar' }).getByRole('button', { name: 'Clone', exact: true }).click();
    return this.waitOpen();
  }
  /** Opens the wizard from the selected VM's Snapshots tab with `snapshot` preselected. */
  async openFromSnapshot(snapshot: string): Promise<this> {
    const snaps = new SnapshotsView(this.page);
    if (!(await snaps.root.isVisible())) await snaps.open();
    else await snaps.waitReady();
    await snaps.select(snapshot);
    await snaps.button('Clone').click();
    return this.waitOpen();
  }
  /** The title: Clone “<source>”. */
  async title(): Promise<string> {
    return (await this.root.getByRole('heading').first().innerText()).trim();
  }

  step(name: CloneStep): Locator {
    return this.root.getByRole('group', { name, exact: true });
  }
  async currentStep(): Promise<CloneStep> {
    for (const s of STEPS) if (await this.step(s).isVisible()) return s;
    throw new Error('the clone wizard shows no step');
  }

  get nameField(): Locator {
    return this.root.getByRole('textbox', { name: 'Name', exact: true });
  }
  macChoice(mac: 'new' | 'keep'): Locator {
    return this.root.getByRole('radio', { name: mac === 'new' ? 'Generate new MAC addresses' : 'Keep the MAC addresses', exact: true });
  }
  typeChoice(type: 'Full' | 'Linked'): Locator {
    return this.root.getByRole('radio', { name: `${type} clone`, exact: true });
  }
  /** A radio of the source step: 'Current state' or a snapshot's name. */
  sourceChoice(source: string): Locator {
    return this.step('Source state').getByRole('radio', { name: source, exact: true });
  }
  /** The source states offered, in tree order (on the source step). */
  async sourceChoices(): Promise<string[]> {
    await this.sourceChoice('Current state').waitFor();
    await this.step('Source state').getByRole('progressbar', { name: 'Loading snapshots' }).waitFor({ state: 'detached' });
    return this.step('Source state')
      .getByRole('radio')
      .evaluateAll((els) => els.map((e) => (e.closest('label')?.textContent ?? '').trim()));
  }
  /** The chosen source state's label (on the source step). */
  async chosenSource(): Promise<string | null> {
    const radio = this.step('Source state').getByRole('radio', { checked: true });
    return (await radio.count()) ? radio.evaluate((e) => (e.closest('label')?.textContent ?? '').trim()) : null;
  }
  /** What happens to the source first ("A snapshot “Linked base for …” … will be taken first"), or null. */
  async sourceNote(): Promise<string | null> {
    const n = this.root.getByRole('note');
    return (await n.count()) ? (await n.innerText()).trim() : null;
  }

  /**
   * The error about a field or step, or null: `name` reads the name field (the API's name errors land
   * there too); the others read the error shown on that step, which must be the one on screen.
   */
  async error(field: CloneErrorField): Promise<string | null> {
    if (field === 'name') return fieldError(this.page, this.nameField);
    const step: CloneStep = field === 'type' ? 'Clone type' : field === 'source' ? 'Source state' : 'Summary';
    const alert = this.step(step).getByRole('alert');
    return (await alert.count()) ? (await alert.first().innerText()).trim() : null;
  }
  get summary(): Locator {
    return this.root.getByRole('table', { name: 'Summary' });
  }
  /** The summary as label → value (Source, Name, Type, Source state, MAC addresses). */
  async summaryRows(): Promise<Record<string, string>> {
    const pairs = await this.summary.getByRole('row').evaluateAll((rows) => rows.map((r) => [r.children[0]?.textContent ?? '', r.children[1]?.textContent ?? ''] as const));
    return Object.fromEntries(pairs);
  }
  get progress(): Locator {
    return this.root.getByRole('progressbar', { name: 'Cloning the virtual machine' });
  }
  /** Shown after Cancel cloning. */
  get cancelledNotice(): Locator {
    return this.root.getByRole('status').filter({ hasText: 'Cloning was cancelled' });
  }

  async next(): Promise<void> {
    await this.root.getByRole('button', { name: 'Next', exact: true }).click();
  }
  async back(): Promise<void> {
    await this.root.getByRole('button', { name: 'Back', exact: true }).click();
  }
  /** Closes the wizard without cloning (not while a clone runs: see cancelRunning). */
  async cancel(): Promise<void> {
    await this.root.getByRole('button', { name: 'Cancel', exact: true }).click();
    await this.root.waitFor({ state: 'detached' });
  }
  /** Cancels the running vm.clone; the wizard stays open on the summary. */
  async cancelRunning(): Promise<void> {
    await this.root.getByRole('button', { name: 'Cancel cloning', exact: true }).click();
  }

  /** Answers every step (Next after each) and stops on the Summary. */
  async fill(a: CloneAnswers): Promise<void> {
    await this.step('Name and MAC addresses').waitFor();
    if (a.name !== undefined) await this.nameField.fill(a.name);
    if (a.mac) await this.macChoice(a.mac).check();
    await this.next();
    await this.step('Clone type').waitFor();
    if (a.type) await this.typeChoice(a.type).check();
    await this.next();
    await this.step('Source state').waitFor();
    if (a.source !== undefined) await this.sourceChoice(a.source).check();
    await this.next();
    await this.step('Summary').waitFor();
  }

  /**
   * Clicks Clone. By default waits until the clone exists and the wizard has closed, failing early
   * with the error the wizard shows (the API's words); `waitForClose: false` returns at once (for
   * watching `progress` or cancelling).
   */
  async create(opts: { waitForClose?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.root.getByRole('button', { name: 'Clone', exact: true }).click();
    if (opts.waitForClose === false) return;
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.root.isVisible())) return;
      const busy = await this.progress.count();
      const err = this.root.getByRole('alert');
      if (!busy && (await err.count())) throw new Error(`the clone wizard shows an error: ${(await err.first().innerText()).trim()}`);
      const nameErr = busy ? null : await this.error('name').catch(() => null);
      if (nameErr) throw new Error(`the clone wizard shows an error: ${nameErr}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the clone wizard to close`);
      await this.root.waitFor({ state: 'detached', timeout: 250 }).catch(() => undefined);
    }
  }
}

/** The Clones section of the selected VM's Details tab. */
export class ClonesSection {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('region', { name: 'Clones', exact: true });
  }

  /** "Linked clone of “<vm>”, snapshot “<s>”." or null when the VM is not a linked clone. */
  async linkedTo(): Promise<string | null> {
    const g = this.root.getByRole('group', { name: 'Linked clone' });
    return (await g.count()) ? (await g.locator('p').first().innerText()).trim() : null;
  }
  /** The linked clones based on this VM as shown: “<clone>” on snapshot “<s>”. */
  async dependents(): Promise<string[]> {
    const list = this.root.getByRole('list', { name: 'Linked clones' });
    if (!(await list.count())) return [];
    return list.getByRole('listitem').allInnerTexts();
  }
  get promoteButton(): Locator {
    return this.root.getByRole('button', { name: 'Promote to full clone', exact: true });
  }
  get progress(): Locator {
    return this.root.getByRole('progressbar', { name: 'Promoting to a full clone' });
  }
  /** The error of a failed promotion (the API's words), or null. */
  async error(): Promise<string | null> {
    const a = this.root.getByRole('alert');
    return (await a.count()) ? (await a.first().innerText()).trim() : null;
  }
  /** Clicks Promote; by default waits until the VM is no longer a linked clone. */
  async promote(opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.promoteButton.click();
    if (opts.wait === false) return;
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    const group = this.root.getByRole('group', { name: 'Linked clone' });
    for (;;) {
      if (!(await group.count())) return;
      const err = (await this.progress.count()) ? null : await this.error();
      if (err) throw new Error(`promoting failed: ${err}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the promotion`);
      await group.waitFor({ state: 'detached', timeout: 250 }).catch(() => undefined);
    }
  }
  async cancelPromotion(): Promise<void> {
    await this.root.getByRole('button', { name: 'Cancel promotion', exact: true }).click();
  }
}
