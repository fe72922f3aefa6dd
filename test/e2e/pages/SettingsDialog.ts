// The Settings dialog of one VM: General, System, Storage, Network and Display tabs.
import type { Locator, Page } from 'playwright-core';
import { FileDialog } from './FileDialog.js';
import { chooseOption, describedText, fieldError } from './util.js';

export type SettingsTab = 'General' | 'System' | 'Storage' | 'Network' | 'Display';

export class SettingsDialog {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: /^Settings of / });
  }

  async waitOpen(): Promise<this> {
    await this.root.waitFor();
    await this.root.getByRole('tablist', { name: 'Settings sections' }).waitFor();
    return this;
  }

  async tab(name: SettingsTab): Promise<void> {
    await this.root.getByRole('tab', { name, exact: true }).click();
    await this.root.getByRole('tabpanel', { name }).waitFor();
  }
  /** Tabs that hold a problem carry an error icon; their accessible name stays the label. */
  tabLocator(name: SettingsTab): Locator {
    return this.root.getByRole('tab', { name, exact: true });
  }

  // General
  get nameField(): Locator {
    return this.root.getByRole('textbox', { name: 'Name', exact: true });
  }
  get osTypeField(): Locator {
    return this.root.getByRole('combobox', { name: /^OS type/ });
  }
  get descriptionField(): Locator {
    return this.root.getByRole('textbox', { name: 'Notes' });
  }
  // System
  get memoryField(): Locator {
    return this.root.getByRole('textbox', { name: 'Memory' });
  }
  get cpusField(): Locator {
    return this.root.getByRole('textbox', { name: 'CPUs' });
  }
  get firmwareField(): Locator {
    return this.root.getByRole('combobox', { name: /^Firmware/ });
  }
  get acceleratorField(): Locator {
    return this.root.getByRole('combobox', { name: /^Accelerator/ });
  }
  get nestedSwitch(): Locator {
    return this.root.getByRole('switch', { name: 'Nested virtualization' });
  }
  /** The line under the nested virtualization switch (why it is not offered, or what it does). */
  async nestedHelp(): Promise<string | null> {
    return describedText(this.page, this.nestedSwitch);
  }
  get limitWarning(): Locator {
    return this.root.getByRole('note', { name: "Beyond this host's limits" });
  }
  helper(field: Locator): Promise<string | null> {
    return describedText(this.page, field);
  }
  // Storage
  get isoField(): Locator {
    return this.root.getByRole('textbox', { name: 'ISO image' });
  }
  get ejectButton(): Locator {
    return this.root.getByRole('button', { name: 'Eject' });
  }
  async browseIso(): Promise<FileDialog> {
    await this.root.getByRole('button', { name: 'Browse for iso image' }).click();
    return new FileDialog(this.page).waitOpen();
  }
  addDiskChoice(label: 'No' | 'New disk' | 'Existing image'): Locator {
    return this.root.getByRole('radiogroup', { name: 'Add a disk' }).getByRole('radio', { name: label, exact: true });
  }
  get newDiskSizeField(): Locator {
    return this.root.getByRole('textbox', { name: 'New disk size' });
  }
  /** The disks table's rows, by disk id. */
  async diskIds(): Promise<string[]> {
    return this.root.getByRole('table', { name: 'Disks' }).getByRole('row').evaluateAll((rows) => rows.slice(1).map((r) => (r.querySelector('td')?.textContent ?? '').trim()));
  }
  removeDiskButton(diskId: string): Locator {
    return this.root.getByRole('button', { name: `Remove ${diskId}`, exact: true });
  }
  /** Why a disk's Remove is greyed out, or null when it can be removed. */
  async whyNotRemovable(diskId: string): Promise<string | null> {
    const b = this.removeDiskButton(diskId);
    if (await b.isEnabled()) return null;
    return b.getAttribute('aria-description');
  }
  get removeDiskDialog(): Locator {
    return this.page.getByRole('dialog', { name: /^Remove disk\d+ from / });
  }
  /** Removes a disk through its confirmation; `deleteImage` only where the dialog offers it. */
  async removeDisk(diskId: string, opts: { deleteImage?: boolean } = {}): Promise<Locator> {
    await this.removeDiskButton(diskId).click();
    const d = this.removeDiskDialog;
    await d.waitFor();
    const box = d.getByRole('checkbox', { name: 'Delete the image file' });
    if (opts.deleteImage !== undefined && (await box.count())) await box.setChecked(opts.deleteImage);
    return d;
  }
  // Network
  get nicField(): Locator {
    return this.root.getByRole('combobox', { name: /^Network card/ });
  }
  async chooseNic(label: string): Promise<void> {
    await chooseOption(this.page, this.nicField, label);
  }
  async addForward(f: { protocol?: 'TCP' | 'UDP'; hostAddress?: string; hostPort: number; guestPort: number }): Promise<void> {
    const before = await this.root.getByRole('textbox', { name: /^Host port of forward / }).count();
    await this.root.getByRole('button', { name: 'Add forward' }).click();
    const n = before + 1;
    if (f.protocol === 'UDP') await chooseOption(this.page, this.root.getByRole('combobox', { name: `Protocol of forward ${n}` }), 'UDP');
    if (f.hostAddress !== undefined) await this.forwardField(n, 'Host address').fill(f.hostAddress);
    await this.forwardField(n, 'Host port').fill(String(f.hostPort));
    await this.forwardField(n, 'Guest port').fill(String(f.guestPort));
  }
  /** A cell of the forwards table; rows count from 1. */
  forwardField(row: number, column: 'Host address' | 'Host port' | 'Guest port'): Locator {
    return this.root.getByRole('textbox', { name: `${column} of forward ${row}` });
  }
  async removeForward(row: number): Promise<void> {
    await this.root.getByRole('button', { name: `Remove forward ${row}` }).click();
  }

  async choose(field: Locator, option: string | RegExp): Promise<void> {
    await chooseOption(this.page, field, option);
  }
  error(field: Locator): Promise<string | null> {
    return fieldError(this.page, field);
  }
  /** Why the hardware cannot change now (shown while the VM runs or has a saved state). */
  get lockMessage(): Locator {
    return this.root.getByRole('alert').filter({ hasText: 'before changing its hardware' });
  }
  /** The server's error after Save. */
  get saveError(): Locator {
    return this.root.getByRole('alert').filter({ hasNotText: 'before changing its hardware' });
  }
  get saveButton(): Locator {
    return this.root.getByRole('button', { name: 'Save', exact: true });
  }
  async save(opts: { waitForClose?: boolean } = {}): Promise<void> {
    await this.saveButton.click();
    if (opts.waitForClose !== false) await this.root.waitFor({ state: 'detached', timeout: 120_000 });
  }
  async cancel(): Promise<void> {
    await this.root.getByRole('button', { name: 'Cancel', exact: true }).click();
    await this.root.waitFor({ state: 'detached' });
  }
}
