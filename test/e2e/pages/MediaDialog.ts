// The Media dialog: the table of disk images and ISOs, the "Only unused" switch, Resize… and Compact.
import type { Locator, Page } from 'playwright-core';

export class MediaDialog {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: 'Media', exact: true });
  }

  static async open(page: Page): Promise<MediaDialog> {
    await page.getByRole('toolbar', { name: 'Main toolbar' }).getByRole('button', { name: 'Media' }).click();
    const d = new MediaDialog(page);
    await d.root.waitFor();
    return d;
  }

  get table(): Locator {
    return this.root.getByRole('table', { name: 'Media' });
  }
  /** A row by the image's file name. */
  row(fileName: string): Locator {
    return this.table.getByRole('row', { name: fileName, exact: true });
  }
  get unusedSwitch(): Locator {
    return this.root.getByRole('switch', { name: 'Only unused' }).or(this.root.getByRole('checkbox', { name: 'Only unused' }));
  }
  get resizeDialog(): Locator {
    return this.page.getByRole('dialog', { name: /^Resize / });
  }
  get notice(): Locator {
    return this.root.getByRole('status');
  }
  async close(): Promise<void> {
    await this.root.getByRole('button', { name: 'Close', exact: true }).last().click();
    await this.root.waitFor({ state: 'detached' });
  }
}
