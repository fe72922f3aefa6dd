// The "Remote hosts" section under the VM list and the right pane of a remote domain (its actions and
// its Snapshots, Console and Display tabs, which are the local VM's page objects).
import type { Locator, Page } from 'playwright-core';
import { ConsoleView } from './ConsoleView.js';
import { DisplayView } from './DisplayView.js';
import { SnapshotsView } from './SnapshotsView.js';
import { DEFAULT_TIMEOUT_MS, waitUntil } from './util.js';

export type RemoteActionButton = 'Start' | 'Shut down' | 'Power off' | 'Pause' | 'Resume' | 'Reboot';

export class RemotePane {
  constructor(readonly page: Page) {}

  host(remote: string): Locator {
    return this.page.getByRole('region', { name: `Remote ${remote}`, exact: true });
  }
  /** The host's chip: "libvirt X.Y.Z" or "disconnected". */
  async hostChip(remote: string): Promise<string> {
    return (await this.host(remote).locator('.MuiChip-root').first().innerText()).trim();
  }
  domain(remote: string, name: string): Locator {
    return this.host(remote).getByRole('button', { name: new RegExp(`^${name} on ${remote}, `) });
  }
  /** The state the section shows for a domain ('shut off', 'running', …). */
  async domainState(remote: string, name: string): Promise<string> {
    const label = (await this.domain(remote, name).getAttribute('aria-label')) ?? '';
    return label.slice(`${name} on ${remote}, `.length);
  }
  async select(remote: string, name: string): Promise<void> {
    await this.domain(remote, name).click();
    await this.root(remote, name).waitFor();
    // its state comes with the host's list
    await waitUntil(() => this.state(), (s) => s !== '…', `the state of ${remote}/${name}`);
  }

  root(remote: string, name: string): Locator {
    return this.page.getByRole('region', { name: `Remote VM ${remote}/${name}`, exact: true });
  }
  get pane(): Locator {
    return this.page.getByRole('region', { name: /^Remote VM / });
  }
  /** The pane's state chip. */
  async state(): Promise<string> {
    return (await this.pane.getByTestId('remote-state').innerText()).trim();
  }
  async waitForState(state: string, timeoutMs = 120_000): Promise<void> {
    await waitUntil(() => this.state(), (s) => s === state, `the remote VM to be ${state}`, timeoutMs);
  }
  button(name: RemoteActionButton): Locator {
    return this.pane.getByRole('toolbar', { name: 'Remote VM actions' }).getByRole('button', { name, exact: true });
  }
  async press(name: RemoteActionButton): Promise<void> {
    await this.button(name).click();
  }
  get error(): Locator {
    return this.pane.getByRole('alert');
  }
  get disconnectedNotice(): Locator {
    return this.pane.getByRole('status').filter({ hasText: 'is disconnected' });
  }
  private async tab(name: 'Snapshots' | 'Console' | 'Display'): Promise<void> {
    await this.pane.getByRole('tablist', { name: 'VM views' }).getByRole('tab', { name, exact: true }).click();
  }
  async openSnapshots(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SnapshotsView> {
    await this.tab('Snapshots');
    const v = new SnapshotsView(this.page);
    await v.waitReady(timeoutMs);
    return v;
  }
  async openConsole(): Promise<ConsoleView> {
    await this.tab('Console');
    return new ConsoleView(this.page).waitOpen();
  }
  async openDisplay(): Promise<DisplayView> {
    await this.tab('Display');
    return new DisplayView(this.page).waitOpen();
  }
}
