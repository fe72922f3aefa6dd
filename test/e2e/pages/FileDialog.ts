// The web mode's file dialog (browses the owner's files with fs.list).
import type { Locator, Page } from 'playwright-core';
import { waitForListing, waitUntil } from './util.js';

export class FileDialog {
  readonly root: Locator;

  constructor(
    readonly page: Page,
    title: string | RegExp = /^Choose /,
  ) {
    this.root = page.getByRole('dialog', { name: title });
  }

  async waitOpen(): Promise<this> {
    await this.root.waitFor();
    return this;
  }

  get folderField(): Locator {
    return this.root.getByRole('textbox', { name: 'Folder' });
  }
  get fileField(): Locator {
    return this.root.getByRole('textbox', { name: 'File', exact: true });
  }
  get files(): Locator {
    return this.root.getByRole('list', { name: 'Files' });
  }
  entry(name: string): Locator {
    return this.files.getByRole('button', { name, exact: true });
  }

  async goTo(folder: string): Promise<void> {
    await this.folderField.fill(folder);
    await this.folderField.press('Enter');
    await this.waitListing(folder);
    await waitUntil(() => this.folderField.inputValue(), (v) => v === folder, `the file dialog to show ${folder}`);
  }

  async up(): Promise<void> {
    const from = await this.files.getAttribute('data-folder');
    await this.root.getByRole('button', { name: 'Parent folder' }).click();
    await this.waitListing((f) => f !== from);
  }

  /** Waits until the folder's listing has arrived. */
  async waitLoaded(): Promise<void> {
    await this.root.getByRole('progressbar', { name: 'Loading folder' }).waitFor({ state: 'detached' });
  }
  async waitListing(folder: string | ((listed: string) => boolean)): Promise<void> {
    await waitForListing(this.files, folder, 'file dialog');
  }

  async showing(filter: 'ISO images' | 'Disk images' | 'Kernels and initrds' | 'All files'): Promise<void> {
    await this.root.getByRole('combobox', { name: /^Show/ }).click();
    await this.page.getByRole('listbox').getByRole('option', { name: filter, exact: true }).click();
  }

  async entryNames(): Promise<string[]> {
    return this.files.getByRole('button').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }

  /** Opens folders and picks the file: `choose('/home/user/isos/x.iso')`. */
  async choose(path: string): Promise<void> {
    const i = path.lastIndexOf('/');
    await this.goTo(path.slice(0, i) || '/');
    await this.entry(path.slice(i + 1)).click();
    await this.root.getByRole('button', { name: 'Choose', exact: true }).click();
    await this.root.waitFor({ state: 'detached' });
  }

  async cancel(): Promise<void> {
    await this.root.getByRole('button', { name: 'Cancel', exact: true }).click();
    await this.root.waitFor({ state: 'detached' });
  }

  get error(): Locator {
    return this.root.getByRole('alert');
  }
}
