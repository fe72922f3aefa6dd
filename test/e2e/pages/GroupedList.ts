// The VM list's groups, ticks and bulk bar: group rows (buttons that fold), a VM's checkbox, the
// bar over the list while VMs are ticked, the "Move to group" dialog and a VM's group and tags in Details.
import type { Locator, Page } from 'playwright-core';

export class GroupedList {
  constructor(readonly page: Page) {}

  get list(): Locator {
    return this.page.getByRole('listbox', { name: 'Virtual machines' });
  }
  group(path: string): Locator {
    return this.list.getByRole('button', { name: `Group ${path}`, exact: true });
  }
  vm(name: string): Locator {
    return this.list.getByRole('option', { name, exact: true });
  }
  tick(name: string): Locator {
    return this.list.getByRole('checkbox', { name: `Select ${name}`, exact: true });
  }
  /** the names of the VM rows rendered now (the list renders only what is in view) */
  async renderedVms(): Promise<string[]> {
    return this.list.getByRole('option').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }
  tagsOf(name: string): Promise<string[]> {
    return this.vm(name).getByTestId('vm-tag').allInnerTexts();
  }
  /** scrolls the list to its end */
  async scrollToEnd(): Promise<void> {
    await this.list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  }

  get bulkBar(): Locator {
    return this.page.getByRole('toolbar', { name: 'Selected virtual machines' });
  }
  bulk(action: 'Start' | 'Stop' | 'Save state' | 'Take snapshot' | 'Delete' | 'Move selected to group…' | 'Clear selection'): Locator {
    const name = action === 'Move selected to group…' || action === 'Clear selection' ? action : `${action} selected`;
    return this.bulkBar.getByRole('button', { name, exact: true });
  }

  get groupDialog(): Locator {
    return this.page.getByRole('dialog', { name: /^Move .* to a group$/ });
  }
  get groupField(): Locator {
    return this.groupDialog.getByRole('combobox', { name: 'Group' });
  }

  /** the Details tab's group and tags of the selected VM */
  get placement(): Locator {
    return this.page.getByRole('group', { name: 'Group and tags' });
  }
  get addTag(): Locator {
    return this.placement.getByRole('textbox', { name: 'Add tag' });
  }
}
