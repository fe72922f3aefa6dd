// The Migrate dialog (a running VM's context menu, "Migrate…"): the target, the copy-storage switch,
// Migrate, and while it runs the progress bar with the task's words and "Cancel migration".
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_TIMEOUT_MS, fieldError } from './util.js';

export class MigrateDialog {
  readonly root: Locator;

  constructor(
    readonly page: Page,
    vmName: string,
  ) {
    this.root = page.getByRole('dialog', { name: `Migrate “${vmName}”`, exact: true });
  }

  async waitOpen(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<this> {
    await this.root.waitFor({ timeout: timeoutMs });
    return this;
  }

  get target(): Locator {
    return this.root.getByRole('textbox', { name: 'Target' });
  }
  get copyStorage(): Locator {
    return this.root.getByRole('switch', { name: /Copy the disks to the target/ });
  }
  get migrateButton(): Locator {
    return this.root.getByRole('button', { name: 'Migrate', exact: true });
  }
  /** The progress bar shown while the migration runs. */
  static readonly PROGRESS_LABEL = 'Migrating the virtual machine';

  async migrate(target: string): Promise<void> {
    await this.target.fill(target);
    await this.migrateButton.click();
  }
  /** The error the server placed on the target field, once it is there. */
  async targetError(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = await fieldError(this.page, this.target);
      if (e) return e;
      if (Date.now() > deadline) throw new Error('no error appeared on the target field');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
