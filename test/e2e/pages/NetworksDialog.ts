// The Networks dialog: the networks table, the New network form, delete buttons and notices.
import type { Locator, Page } from 'playwright-core';
import { chooseOption, fieldError } from './util.js';

export class NetworksDialog {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: 'Networks' });
  }

  static async open(page: Page): Promise<NetworksDialog> {
    await page.getByRole('toolbar', { name: 'Main toolbar' }).getByRole('button', { name: 'Networks' }).click();
    const d = new NetworksDialog(page);
    await d.root.waitFor();
    return d;
  }

  get table(): Locator {
    return this.root.getByRole('table', { name: 'Networks' });
  }
  row(name: string): Locator {
    return this.table.getByRole('row', { name: `Network ${name}` });
  }
  get form(): Locator {
    return this.root.getByRole('form', { name: 'New network' });
  }
  get nameField(): Locator {
    return this.form.getByRole('textbox', { name: 'Name' });
  }
  get subnetField(): Locator {
    return this.form.getByRole('textbox', { name: 'Subnet' });
  }
  get modeField(): Locator {
    return this.form.getByRole('combobox', { name: 'Mode' });
  }
  error(field: Locator): Promise<string | null> {
    return fieldError(this.page, field);
  }
  async create(a: { name: string; mode?: string; subnet?: string }): Promise<void> {
    await this.nameField.fill(a.name);
    if (a.mode) await chooseOption(this.page, this.modeField, a.mode);
    if (a.subnet !== undefined) await this.subnetField.fill(a.subnet);
    await this.form.getByRole('button', { name: 'Create network' }).click();
  }
  async delete(name: string): Promise<void> {
    await this.root.getByRole('button', { name: `Delete network ${name}` }).click();
  }
  /** The latest notice (a success or a refusal). */
  get notice(): Locator {
    return this.root.locator('.MuiAlert-message').last();
  }
  async close(): Promise<void> {
    // (a notice has a Close button of its own: the dialog's is the last)
    await this.root.getByRole('button', { name: 'Close', exact: true }).last().click();
    await this.root.waitFor({ state: 'detached' });
  }
}
