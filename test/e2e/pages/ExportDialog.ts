// The Export appliance dialog: tick the VMs (and for one, the state to export), the format and file
// with its "Save appliance as" dialog, OVF version, profile and manifest, the appliance information,
// then appliance.export with progress, cancel and the summary.
import type { Locator, Page } from 'playwright-core';
import { chooseOption, DEFAULT_TIMEOUT_MS, describedText, fieldError, waitForListing, waitUntil } from './util.js';

export type ExportStep = 'Virtual machines' | 'Format and file' | 'Appliance information' | 'Export';
const STEPS: readonly ExportStep[] = ['Virtual machines', 'Format and file', 'Appliance information', 'Export'];

export type ProfileLabel = 'KVM (Proxmox, oVirt, virt-v2v)' | 'VirtualBox' | 'VMware (vSphere, Workstation)';
export type ManifestLabel = 'SHA-256' | 'SHA-1' | 'No manifest';
export type ProductFieldLabel = 'Product' | 'Version' | 'Vendor' | 'Product URL' | 'Vendor URL';

export class ExportDialog {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: 'Export appliance', exact: true });
  }

  async waitOpen(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<this> {
    await this.root.waitFor({ timeout: timeoutMs });
    return this;
  }

  /** The main toolbar's Export button (enabled while a VM is selected). */
  static toolbarButton(page: Page): Locator {
    return page.getByRole('toolbar', { name: 'Main toolbar' }).getByRole('button', { name: 'Export appliance…', exact: true });
  }
  /** Opens the dialog with the toolbar's Export button (it starts on the VMs, the current one ticked). */
  static async openFromToolbar(page: Page): Promise<ExportDialog> {
    await ExportDialog.toolbarButton(page).click();
    const d = new ExportDialog(page);
    await d.waitOpen();
    await d.step('Virtual machines').waitFor();
    return d;
  }

  step(name: ExportStep): Locator {
    return this.root.getByRole('group', { name, exact: true });
  }
  async currentStep(): Promise<ExportStep> {
    for (const s of STEPS) if (await this.step(s).isVisible()) return s;
    throw new Error('the export dialog shows no step');
  }

  async next(): Promise<void> {
    await this.root.getByRole('button', { name: 'Next', exact: true }).click();
  }
  async back(): Promise<void> {
    await this.root.getByRole('button', { name: 'Back', exact: true }).click();
  }
  /** Closes the dialog with Cancel (before the export) or Close (after it). */
  async close(): Promise<void> {
    await this.root.getByRole('button', { name: /^(Cancel|Close)$/ }).click();
    await this.root.waitFor({ state: 'detached' });
  }
  /** The error alert shown at the top of the current step (an owner error sent back to it), or null. */
  async stepError(): Promise<string | null> {
    const a = this.step(await this.currentStep()).getByRole('alert');
    return (await a.count()) ? (await a.first().innerText()).replace(/\s+/g, ' ').trim() : null;
  }

  // ------------------------------------------------------------ step 1: the VMs

  vm(name: string): Locator {
    return this.root.getByRole('checkbox', { name, exact: true });
  }
  /** The ticked VMs, in the list's order. */
  async chosenVms(): Promise<string[]> {
    const boxes = this.step('Virtual machines').getByRole('group', { name: 'Virtual machines to export' }).getByRole('checkbox');
    const out: string[] = [];
    for (const box of await boxes.all()) {
      if (!(await box.isChecked())) continue;
      const id = await box.getAttribute('aria-labelledby');
      out.push(id ? (await this.page.locator(`[id="${id}"]`).innerText()).trim() : '');
    }
    return out;
  }
  /** The error under the VM list, or null. */
  async vmsError(): Promise<string | null> {
    const e = this.step('Virtual machines').getByRole('alert');
    return (await e.count()) ? (await e.first().innerText()).trim() : null;
  }
  /** A choice of "State to export" (one VM with snapshots): 'Current state' or a snapshot's name. */
  state(label: string): Locator {
    return this.root.getByRole('radiogroup', { name: 'State to export' }).getByRole('radio', { name: label, exact: true });
  }
  /** The notes under the VMs (a running VM goes through a temporary snapshot). */
  async machineNotes(): Promise<string[]> {
    return (await this.step('Virtual machines').getByRole('note').allInnerTexts()).map((t) => t.trim());
  }

  // ------------------------------------------------------------ step 2: format and file

  format(format: 'ova' | 'ovf'): Locator {
    return this.root.getByRole('button', { name: format === 'ova' ? 'OVA archive (.ova)' : 'OVF files (.ovf)', exact: true });
  }
  async chosenFormat(): Promise<'ova' | 'ovf' | null> {
    if ((await this.format('ova').getAttribute('aria-pressed')) === 'true') return 'ova';
    if ((await this.format('ovf').getAttribute('aria-pressed')) === 'true') return 'ovf';
    return null;
  }
  get fileField(): Locator {
    return this.root.getByRole('textbox', { name: 'File', exact: true });
  }
  async fileError(): Promise<string | null> {
    return fieldError(this.page, this.fileField);
  }
  /** Opens the "Save appliance as" dialog from the Browse button. */
  async browse(): Promise<SaveAsDialog> {
    await this.root.getByRole('button', { name: 'Browse for file', exact: true }).click();
    return new SaveAsDialog(this.page).waitOpen();
  }
  get ovfVersionField(): Locator {
    return this.root.getByRole('combobox', { name: /^OVF version/ });
  }
  get profileField(): Locator {
    return this.root.getByRole('combobox', { name: /^Profile/ });
  }
  get manifestField(): Locator {
    return this.root.getByRole('combobox', { name: /^Manifest/ });
  }
  async chooseOvfVersion(version: '1.0' | '2.0'): Promise<void> {
    await chooseOption(this.page, this.ovfVersionField, `OVF ${version}`);
  }
  async chooseProfile(label: ProfileLabel): Promise<void> {
    await chooseOption(this.page, this.profileField, label);
  }
  async chooseManifest(label: ManifestLabel): Promise<void> {
    await chooseOption(this.page, this.manifestField, new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}`));
  }
  /** The hint under the manifest choice ("SHA-1 for vSphere 6.0 and older" for SHA-1). */
  async manifestHint(): Promise<string | null> {
    return describedText(this.page, this.manifestField);
  }
  /** What the chosen profile writes (the writer's notes), one line each. */
  async profileNotes(): Promise<string[]> {
    const note = this.step('Format and file').getByRole('note', { name: /profile writes$/ });
    return (await note.getByRole('listitem').allInnerTexts()).map((t) => t.trim());
  }

  // ------------------------------------------------------------ step 3: appliance information

  productField(label: ProductFieldLabel): Locator {
    return this.root.getByRole('textbox', { name: label, exact: true });
  }
  get licenseField(): Locator {
    return this.root.getByRole('textbox', { name: 'License', exact: true });
  }
  async error(field: Locator): Promise<string | null> {
    return fieldError(this.page, field);
  }
  async fillAppliance(info: Partial<Record<ProductFieldLabel | 'License', string>>): Promise<void> {
    for (const [label, value] of Object.entries(info)) {
      await (label === 'License' ? this.licenseField : this.productField(label as ProductFieldLabel)).fill(value);
    }
  }

  // ------------------------------------------------------------ step 4: export

  get exportButton(): Locator {
    return this.root.getByRole('button', { name: 'Export', exact: true });
  }
  get progress(): Locator {
    return this.root.getByRole('progressbar', { name: 'Exporting the appliance' });
  }
  async progressMessage(): Promise<string> {
    return (await this.step('Export').getByRole('status').first().innerText()).trim();
  }
  get summaryTable(): Locator {
    return this.root.getByRole('table', { name: 'Exported appliance', exact: true });
  }
  /** The error of a failed export (the owner's words), or null. */
  async exportError(): Promise<string | null> {
    const a = this.step('Export').getByRole('alert');
    return (await a.count()) ? (await a.first().innerText()).replace(/\s+/g, ' ').trim() : null;
  }
  get cancelledNotice(): Locator {
    return this.step('Export').getByRole('status').filter({ hasText: 'The export was cancelled' });
  }
  async cancelExport(): Promise<void> {
    await this.root.getByRole('button', { name: 'Cancel export', exact: true }).click();
  }
  /** Clicks Export (on the appliance information step). */
  async export(): Promise<void> {
    await this.exportButton.click();
    await this.step('Export').waitFor();
  }
  /** Waits until the export has ended: the summary as label → value, or throws with the error shown. */
  async waitForSummary(timeoutMs = 300_000): Promise<Record<string, string>> {
    const done = this.summaryTable.or(this.step('Export').getByRole('alert')).or(this.cancelledNotice);
    await done.first().waitFor({ timeout: timeoutMs });
    const err = await this.exportError();
    if (err) throw new Error(`the export failed: ${err}`);
    if (await this.cancelledNotice.count()) throw new Error('the export was cancelled');
    return this.summary();
  }
  /** Waits until the export has failed and returns the error shown. */
  async waitForExportError(timeoutMs = 60_000): Promise<string> {
    const alert = this.step('Export').getByRole('alert');
    await alert.or(this.summaryTable).first().waitFor({ timeout: timeoutMs });
    const err = await this.exportError();
    if (!err) throw new Error('the export succeeded where it should have failed');
    return err;
  }
  async summary(): Promise<Record<string, string>> {
    const rows = await this.summaryTable
      .getByRole('row')
      .evaluateAll((trs) => trs.map((r) => [(r.children[0]?.textContent ?? '').trim(), (r.children[1]?.textContent ?? '').trim()] as const));
    return Object.fromEntries(rows);
  }
  async warnings(): Promise<string[]> {
    const list = this.root.getByRole('list', { name: 'Export warnings', exact: true });
    return (await list.count()) ? (await list.getByRole('listitem').allInnerTexts()).map((t) => t.trim()) : [];
  }
}

/** The export's "Save appliance as" dialog: folders over fs.list, the appliances there, a file name. */
export class SaveAsDialog {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: 'Save appliance as', exact: true });
  }
  async waitOpen(): Promise<this> {
    await this.root.waitFor();
    await this.waitLoaded();
    return this;
  }
  get folderField(): Locator {
    return this.root.getByRole('textbox', { name: 'Folder', exact: true });
  }
  get nameField(): Locator {
    return this.root.getByRole('textbox', { name: 'File name', exact: true });
  }
  get contents(): Locator {
    return this.root.getByRole('list', { name: 'Folder contents' });
  }
  entry(name: string): Locator {
    return this.contents.getByRole('button', { name, exact: true });
  }
  async entryNames(): Promise<string[]> {
    return this.contents.getByRole('button').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }
  async waitLoaded(): Promise<void> {
    await this.root.getByRole('progressbar', { name: 'Loading folder' }).waitFor({ state: 'detached' });
  }
  async waitListing(folder: string | ((listed: string) => boolean)): Promise<void> {
    await waitForListing(this.contents, folder, 'save dialog');
  }

  async goTo(folder: string): Promise<void> {
    await this.folderField.fill(folder);
    await this.folderField.press('Enter');
    await this.waitListing(folder);
    await waitUntil(() => this.folderField.inputValue(), (v) => v === folder, `the save dialog to show ${folder}`);
  }
  async up(): Promise<void> {
    const from = await this.contents.getAttribute('data-folder');
    await this.root.getByRole('button', { name: 'Parent folder' }).click();
    await this.waitListing((f) => f !== from);
  }
  /** The line under the file name: the full path, or the warning that the file exists. */
  async nameHint(): Promise<string | null> {
    return describedText(this.page, this.nameField);
  }
  async choose(): Promise<void> {
    await this.root.getByRole('button', { name: 'Choose', exact: true }).click();
    await this.root.waitFor({ state: 'detached' });
  }
  async cancel(): Promise<void> {
    await this.root.getByRole('button', { name: 'Cancel', exact: true }).click();
    await this.root.waitFor({ state: 'detached' });
  }
}
