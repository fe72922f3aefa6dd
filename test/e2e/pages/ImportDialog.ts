// The Import appliance dialog: choose the file, review the "Appliance settings" (machines, disks,
// network cards, MAC policy, manifest, signature, warnings, license), then appliance.import with
// progress and cancel.
import type { Locator, Page } from 'playwright-core';
import { FileDialog } from './FileDialog.js';
import { chooseOption, DEFAULT_TIMEOUT_MS, fieldError } from './util.js';

export type ImportStep = 'Appliance to import' | 'Appliance settings' | 'Import';
const STEPS: readonly ImportStep[] = ['Appliance to import', 'Appliance settings', 'Import'];

/** A row of the disks table as shown. */
export interface ImportDiskRow {
  included: boolean;
  disk: string;
  source: string;
  capacity: string;
  controller: string;
  bus: string;
}

/** A row of the network cards table as shown. */
export interface ImportNicRow {
  included: boolean;
  sourceModel: string;
  model: string;
  network: string;
  mac: string;
}

export class ImportDialog {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: 'Import appliance', exact: true });
  }

  async waitOpen(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<this> {
    await this.root.waitFor({ timeout: timeoutMs });
    return this;
  }

  /** The main toolbar's Import button. */
  static toolbarButton(page: Page): Locator {
    return page.getByRole('toolbar', { name: 'Main toolbar' }).getByRole('button', { name: 'Import appliance…', exact: true });
  }
  /** Opens the dialog with the toolbar's Import button (it starts on the file step). */
  static async openFromToolbar(page: Page): Promise<ImportDialog> {
    await ImportDialog.toolbarButton(page).click();
    const d = new ImportDialog(page);
    await d.waitOpen();
    await d.step('Appliance to import').waitFor();
    return d;
  }

  step(name: ImportStep): Locator {
    return this.root.getByRole('group', { name, exact: true });
  }
  async currentStep(): Promise<ImportStep> {
    for (const s of STEPS) if (await this.step(s).isVisible()) return s;
    throw new Error('the import dialog shows no step');
  }

  // ------------------------------------------------------------ step 1: the file

  get fileField(): Locator {
    return this.root.getByRole('textbox', { name: 'Appliance file', exact: true });
  }
  get browseButton(): Locator {
    return this.root.getByRole('button', { name: 'Browse for appliance file', exact: true });
  }
  /** Opens the web mode's file dialog from the Browse button. */
  async browse(): Promise<FileDialog> {
    await this.browseButton.click();
    return new FileDialog(this.page, 'Choose appliance file').waitOpen();
  }
  /** Picks the file through the Browse button and the file dialog. */
  async chooseFile(path: string): Promise<void> {
    const files = await this.browse();
    await files.choose(path);
  }
  async next(): Promise<void> {
    await this.root.getByRole('button', { name: 'Next', exact: true }).click();
  }
  async fileError(): Promise<string | null> {
    return fieldError(this.page, this.fileField);
  }

  // ------------------------------------------------------------ step 2: appliance settings

  get reviewProgress(): Locator {
    return this.root.getByRole('progressbar', { name: 'Reading the appliance' });
  }
  /**
   * Waits until the review has arrived: resolves when the settings are shown, throws with the
   * dialog's error (the owner's words) when the appliance was refused.
   */
  async waitForReview(timeoutMs = 60_000): Promise<void> {
    const settings = this.step('Appliance settings');
    await settings.waitFor({ timeout: timeoutMs });
    const ready = settings.getByRole('textbox', { name: 'Name', exact: true }).or(settings.getByRole('alert'));
    await ready.first().waitFor({ timeout: timeoutMs });
    const err = await this.reviewError();
    if (err) throw new Error(`the import dialog refused the appliance: ${err}`);
  }
  /** The error shown instead of the settings (a bad or hostile file), or null. */
  async reviewError(): Promise<string | null> {
    const alert = this.step('Appliance settings').getByRole('alert').filter({ hasText: 'cannot be imported' });
    return (await alert.count()) ? (await alert.first().innerText()).replace(/\s+/g, ' ').trim() : null;
  }
  /** Waits for the error of a refused appliance and returns it. */
  async waitForReviewError(timeoutMs = 60_000): Promise<string> {
    const alert = this.step('Appliance settings').getByRole('alert').filter({ hasText: 'cannot be imported' });
    await alert.first().waitFor({ timeout: timeoutMs });
    return (await alert.first().innerText()).replace(/\s+/g, ' ').trim();
  }

  /** The tab of a machine (appliances with several machines). */
  machineTab(name: string | RegExp): Locator {
    return this.root.getByRole('tablist', { name: 'Machines' }).getByRole('tab', { name });
  }
  async machineTabs(): Promise<string[]> {
    const list = this.root.getByRole('tablist', { name: 'Machines' });
    if (!(await list.count())) return [];
    return (await list.getByRole('tab').allInnerTexts()).map((t) => t.trim());
  }

  get nameField(): Locator {
    return this.root.getByRole('textbox', { name: 'Name', exact: true });
  }
  get osTypeField(): Locator {
    return this.root.getByRole('combobox', { name: /^OS type/ });
  }
  get cpusField(): Locator {
    return this.root.getByRole('textbox', { name: 'CPUs', exact: true });
  }
  get memoryField(): Locator {
    return this.root.getByRole('textbox', { name: 'Memory', exact: true });
  }
  get firmwareField(): Locator {
    return this.root.getByRole('combobox', { name: /^Firmware/ });
  }
  /** The error under a field (the API's words), or null. */
  async error(field: Locator): Promise<string | null> {
    return fieldError(this.page, field);
  }
  async chooseOsType(label: string): Promise<void> {
    await chooseOption(this.page, this.osTypeField, label);
  }
  async chooseFirmware(label: string | RegExp): Promise<void> {
    await chooseOption(this.page, this.firmwareField, label);
  }

  get disks(): Locator {
    return this.root.getByRole('table', { name: 'Disks', exact: true });
  }
  includeDisk(n: number): Locator {
    return this.root.getByRole('checkbox', { name: `Import disk ${n}`, exact: true });
  }
  diskBus(n: number): Locator {
    return this.root.getByRole('combobox', { name: `Bus of disk ${n}` });
  }
  async chooseDiskBus(n: number, label: string | RegExp): Promise<void> {
    await chooseOption(this.page, this.diskBus(n), label);
  }
  async diskRows(): Promise<ImportDiskRow[]> {
    return this.disks
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => {
          const cells = [...r.querySelectorAll('td')];
          const text = (i: number) => (cells[i]?.textContent ?? '').trim();
          return { included: !!cells[0]?.querySelector('input:checked'), disk: text(1), source: text(2), capacity: text(3), controller: text(4), bus: (cells[5]?.querySelector('[role="combobox"]')?.textContent ?? '').trim() };
        }),
      );
  }

  get opticals(): Locator {
    return this.root.getByRole('table', { name: 'Optical drives', exact: true });
  }

  get nics(): Locator {
    return this.root.getByRole('table', { name: 'Network cards', exact: true });
  }
  includeNic(n: number): Locator {
    return this.root.getByRole('checkbox', { name: `Import network card ${n}`, exact: true });
  }
  nicModel(n: number): Locator {
    return this.root.getByRole('combobox', { name: `Model of network card ${n}` });
  }
  async chooseNicModel(n: number, label: string | RegExp): Promise<void> {
    await chooseOption(this.page, this.nicModel(n), label);
  }
  async nicRows(): Promise<ImportNicRow[]> {
    return this.nics
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => {
          const cells = [...r.querySelectorAll('td')];
          const text = (i: number) => (cells[i]?.textContent ?? '').trim();
          return { included: !!cells[0]?.querySelector('input:checked'), sourceModel: text(2), model: (cells[3]?.querySelector('[role="combobox"]')?.textContent ?? '').trim(), network: text(4), mac: text(5) };
        }),
      );
  }
  macPolicy(policy: 'new' | 'keep'): Locator {
    return this.root.getByRole('radio', { name: policy === 'new' ? 'Generate new MAC addresses' : "Keep the appliance's MAC addresses", exact: true });
  }

  /** Every warning shown: the appliance's and the shown machine's, in order. */
  async warnings(): Promise<string[]> {
    const lists = this.root.getByRole('list', { name: /warnings/i });
    return (await lists.getByRole('listitem').allInnerTexts()).map((t) => t.trim());
  }
  async applianceWarnings(): Promise<string[]> {
    const list = this.root.getByRole('list', { name: 'Appliance warnings', exact: true });
    return (await list.count()) ? (await list.getByRole('listitem').allInnerTexts()).map((t) => t.trim()) : [];
  }
  async machineWarnings(): Promise<string[]> {
    const list = this.root.getByRole('list', { name: /^Warnings for / });
    return (await list.count()) ? (await list.getByRole('listitem').allInnerTexts()).map((t) => t.trim()) : [];
  }
  /** What the dialog says about the manifest ("Manifest x.mf: 2 files, SHA-256 …" or "No manifest …"). */
  async manifest(): Promise<string> {
    return (await this.root.getByRole('group', { name: 'Manifest', exact: true }).innerText()).replace(/\s+/g, ' ').trim();
  }
  /** What the dialog says about the signature ("Not signed …", "Signed by …"). */
  async signature(): Promise<string> {
    return (await this.root.getByRole('group', { name: 'Signature', exact: true }).innerText()).replace(/\s+/g, ' ').trim();
  }
  /** The appliance table (File, Format, Manifest, Signature, Target folder) as label → text. */
  async applianceRows(): Promise<Record<string, string>> {
    const rows = await this.root
      .getByRole('table', { name: 'Appliance', exact: true })
      .getByRole('row')
      .evaluateAll((trs) => trs.map((r) => [(r.children[0]?.textContent ?? '').trim(), (r.children[1]?.textContent ?? '').trim()] as const));
    return Object.fromEntries(rows);
  }
  get licence(): Locator {
    return this.root.getByRole('document', { name: /^License agreement/ });
  }
  get acceptLicence(): Locator {
    return this.root.getByRole('checkbox', { name: /^I accept the license agreement/ });
  }

  get importButton(): Locator {
    return this.root.getByRole('button', { name: 'Import', exact: true });
  }
  /** Why Import is disabled, as the dialog says it, or null. */
  async blockReason(): Promise<string | null> {
    const n = this.root.getByRole('note');
    return (await n.count()) ? (await n.innerText()).trim() : null;
  }

  // ------------------------------------------------------------ step 3: import

  get progress(): Locator {
    return this.root.getByRole('progressbar', { name: 'Importing the appliance' });
  }
  /** The progress message under the bar. */
  async progressMessage(): Promise<string> {
    return (await this.step('Import').getByRole('status').first().innerText()).trim();
  }
  /** The error of a failed import (the owner's words), or null. */
  async importError(): Promise<string | null> {
    const a = this.step('Import').getByRole('alert');
    return (await a.count()) ? (await a.first().innerText()).replace(/\s+/g, ' ').trim() : null;
  }
  get cancelledNotice(): Locator {
    return this.step('Import').getByRole('status').filter({ hasText: 'The import was cancelled' });
  }

  /**
   * Clicks Import. By default waits until the dialog has closed (the import succeeded), failing
   * early with the error the dialog shows; `waitForClose: false` returns at once.
   */
  async import(opts: { waitForClose?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.importButton.click();
    if (opts.waitForClose === false) return;
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.root.isVisible())) return;
      const err = await this.importError().catch(() => null);
      if (err) throw new Error(`the import failed: ${err}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the import to end`);
      await this.root.waitFor({ state: 'detached', timeout: 250 }).catch(() => undefined);
    }
  }
  async cancelImport(): Promise<void> {
    await this.root.getByRole('button', { name: 'Cancel import', exact: true }).click();
  }
  async back(): Promise<void> {
    await this.root.getByRole('button', { name: 'Back', exact: true }).click();
  }
  /** Closes the dialog with Cancel (or Close after a failed import). */
  async cancel(): Promise<void> {
    await this.root.getByRole('button', { name: /^(Cancel|Close)$/ }).click();
    await this.root.waitFor({ state: 'detached' });
  }
}
