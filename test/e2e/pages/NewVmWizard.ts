// The New VM wizard: six steps, then vm.create with progress.
import type { Locator, Page } from 'playwright-core';
import { FileDialog } from './FileDialog.js';
import { chooseOption, describedText, fieldError } from './util.js';

export type WizardStep = 'Name and OS' | 'Installation media' | 'Cloud image' | 'Memory and CPUs' | 'Hard disk' | 'Guest integration' | 'Summary';

export interface NewVmAnswers {
  name: string;
  /** the OS type's label as the catalogue names it, e.g. 'Linux (modern, 64-bit)' */
  osType?: string;
  iso?: string;
  memoryMiB?: number;
  cpus?: number;
  disk?: { sizeText: string } | { image: string } | 'none';
  tpm?: boolean;
  clipboard?: boolean;
  /** shared folders to add: the host folder, and optionally a tag and read-only */
  shares?: { hostPath: string; tag?: string; readOnly?: boolean }[];
}

export class NewVmWizard {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: 'New virtual machine' });
  }

  async waitOpen(): Promise<this> {
    await this.root.waitFor();
    return this;
  }

  step(name: WizardStep): Locator {
    return this.root.getByRole('group', { name, exact: true });
  }
  async currentStep(): Promise<WizardStep> {
    for (const s of ['Name and OS', 'Installation media', 'Cloud image', 'Memory and CPUs', 'Hard disk', 'Guest integration', 'Summary'] as const) {
      if (await this.step(s).isVisible()) return s;
    }
    throw new Error('the wizard shows no step');
  }

  get nameField(): Locator {
    return this.root.getByRole('textbox', { name: 'Name', exact: true });
  }
  get osTypeField(): Locator {
    return this.root.getByRole('combobox', { name: /^OS type/ });
  }
  get isoField(): Locator {
    return this.root.getByRole('textbox', { name: 'ISO image' });
  }
  get memoryField(): Locator {
    return this.root.getByRole('textbox', { name: 'Memory' });
  }
  get cpusField(): Locator {
    return this.root.getByRole('textbox', { name: 'CPUs' });
  }
  get diskSizeField(): Locator {
    return this.root.getByRole('textbox', { name: 'Disk size' });
  }
  get diskImageField(): Locator {
    return this.root.getByRole('textbox', { name: 'Disk image' });
  }
  diskChoice(label: 'Create a new disk' | 'Use an existing disk image' | 'No disk'): Locator {
    return this.root.getByRole('radio', { name: label });
  }
  /** Quick create: where the VM comes from. */
  source(label: 'Installation media or a disk' | 'A cloud image'): Locator {
    return this.root.getByRole('radio', { name: label });
  }
  get cloudImageField(): Locator {
    return this.root.getByRole('combobox', { name: /^Cloud image/ });
  }
  get sshKeyField(): Locator {
    return this.root.getByRole('combobox', { name: /^SSH key/ });
  }
  get userField(): Locator {
    return this.root.getByRole('textbox', { name: 'User', exact: true });
  }
  get passwordField(): Locator {
    return this.root.getByLabel('Password', { exact: true });
  }
  get hostnameField(): Locator {
    return this.root.getByRole('textbox', { name: 'Hostname', exact: true });
  }
  get userDataField(): Locator {
    return this.root.getByRole('textbox', { name: 'User data' });
  }
  /** What detection of the ISO said. */
  get detection(): Locator {
    return this.root.getByRole('alert', { name: 'Detected operating system' });
  }
  get unattendedBox(): Locator {
    return this.root.getByRole('checkbox', { name: /unattended/i });
  }
  /** The error under a field, or null. */
  error(field: Locator): Promise<string | null> {
    return fieldError(this.page, field);
  }
  /** The server's error, shown on the step it is about. */
  get serverError(): Locator {
    return this.root.getByRole('alert');
  }
  get summary(): Locator {
    return this.root.getByRole('table', { name: 'Summary' });
  }
  get progress(): Locator {
    return this.root.getByRole('progressbar', { name: 'Creating the virtual machine' });
  }
  /** The warning that memory or CPUs go past what this host has (it does not block). */
  get limitWarning(): Locator {
    return this.root.getByRole('note', { name: "Beyond this host's limits" });
  }
  /** The helper line under a field (its error, a warning, or the hint). */
  helper(field: Locator): Promise<string | null> {
    return describedText(this.page, field);
  }
  get createButton(): Locator {
    return this.root.getByRole('button', { name: 'Create', exact: true });
  }

  async chooseOsType(label: string): Promise<void> {
    await chooseOption(this.page, this.osTypeField, label);
  }
  /** Opens the file dialog of the ISO field (web mode). */
  async browseIso(): Promise<FileDialog> {
    await this.root.getByRole('button', { name: 'Browse for iso image' }).click();
    return new FileDialog(this.page).waitOpen();
  }
  async browseDiskImage(): Promise<FileDialog> {
    await this.root.getByRole('button', { name: 'Browse for disk image' }).click();
    return new FileDialog(this.page).waitOpen();
  }

  async next(): Promise<void> {
    await this.root.getByRole('button', { name: 'Next', exact: true }).click();
  }
  async back(): Promise<void> {
    await this.root.getByRole('button', { name: 'Back', exact: true }).click();
  }
  async cancel(): Promise<void> {
    await this.root.getByRole('button', { name: /^Cancel/ }).click();
  }
  /** Clicks Create; `waitForClose` waits until the VM exists and the wizard has closed. */
  async create(opts: { waitForClose?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.root.getByRole('button', { name: 'Create', exact: true }).click();
    if (opts.waitForClose !== false) await this.root.waitFor({ state: 'detached', timeout: opts.timeoutMs ?? 120_000 });
  }

  /** Answers every step (Next after each) and stops on the Summary. */
  async fill(a: NewVmAnswers): Promise<void> {
    await this.nameField.fill(a.name);
    if (a.osType) await this.chooseOsType(a.osType);
    await this.next();
    await this.step('Installation media').waitFor();
    if (a.iso !== undefined) await this.isoField.fill(a.iso);
    await this.next();
    await this.step('Memory and CPUs').waitFor();
    if (a.memoryMiB !== undefined) await this.memoryField.fill(String(a.memoryMiB));
    if (a.cpus !== undefined) await this.cpusField.fill(String(a.cpus));
    await this.next();
    await this.step('Hard disk').waitFor();
    if (a.disk === 'none') await this.diskChoice('No disk').check();
    else if (a.disk && 'sizeText' in a.disk) {
      await this.diskChoice('Create a new disk').check();
      await this.diskSizeField.fill(a.disk.sizeText);
    } else if (a.disk && 'image' in a.disk) {
      await this.diskChoice('Use an existing disk image').check();
      await this.diskImageField.fill(a.disk.image);
    }
    await this.next();
    await this.step('Guest integration').waitFor();
    if (a.tpm !== undefined) await this.setSwitch('TPM 2.0', a.tpm);
    if (a.clipboard !== undefined) await this.setSwitch('Share the clipboard', a.clipboard);
    for (const [i, s] of (a.shares ?? []).entries()) {
      await this.root.getByRole('button', { name: 'Add shared folder' }).click();
      await this.root.getByRole('textbox', { name: `Host folder of shared folder ${i + 1}` }).fill(s.hostPath);
      if (s.tag) await this.root.getByRole('textbox', { name: `Tag of shared folder ${i + 1}` }).fill(s.tag);
      if (s.readOnly) await this.root.getByRole('group', { name: `Shared folder ${i + 1}` }).getByRole('checkbox', { name: 'Read-only' }).check();
    }
    await this.next();
    await this.step('Summary').waitFor();
  }

  async setSwitch(label: string, on: boolean): Promise<void> {
    const sw = this.root.getByRole('switch', { name: label });
    if ((await sw.isChecked()) !== on) await sw.click();
  }
}
