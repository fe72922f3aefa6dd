// The tasks panel: running and recent tasks with progress and Cancel.
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_TIMEOUT_MS, waitUntil } from './util.js';

/** The panel names a task '<Title>: <VM>', e.g. 'Create VM: web1' or 'Start: web1'. */
export class TasksPanel {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('region', { name: 'Tasks', exact: true });
  }

  async waitOpen(): Promise<this> {
    await this.root.waitFor();
    return this;
  }

  /** The most recent task with this label. */
  task(label: string): Locator {
    return this.root.getByRole('listitem', { name: label, exact: true }).first();
  }
  async labels(): Promise<string[]> {
    return this.root.getByRole('listitem').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }
  /** 'Running', 'Done', 'Failed', 'Cancelled' or 'Interrupted'. */
  async state(label: string): Promise<string> {
    return (await this.task(label).getByTestId('task-state').innerText()).trim();
  }
  async waitForState(label: string, state: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await waitUntil(() => this.state(label), (s) => s === state, `task '${label}' to be ${state}`, timeoutMs);
  }
  /** The line under a task: its step while it runs, its outcome once it has ended. */
  async detail(label: string): Promise<string> {
    const d = this.task(label).getByTestId('task-detail');
    return (await d.count()) ? (await d.innerText()).trim() : '';
  }
  async waitForDetail(label: string, accept: (text: string) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return waitUntil(() => this.detail(label), accept, `the line under task '${label}'`, timeoutMs);
  }
  progress(label: string): Locator {
    return this.task(label).getByRole('progressbar');
  }
  async cancel(label: string): Promise<void> {
    await this.task(label).getByRole('button', { name: `Cancel ${label}` }).click();
  }
  async close(): Promise<void> {
    await this.root.getByRole('button', { name: 'Close tasks' }).click();
    await this.root.waitFor({ state: 'detached' });
  }
}
