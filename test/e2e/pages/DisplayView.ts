// The Display tab: the VM's screen through noVNC.
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_TIMEOUT_MS, waitUntil } from './util.js';

export class DisplayView {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('region', { name: 'Display', exact: true });
  }

  async waitOpen(): Promise<this> {
    await this.root.waitFor();
    return this;
  }

  /** Shown instead of the screen when the VM is not running. */
  get notRunningMessage(): Locator {
    return this.root.getByRole('status');
  }
  get screen(): Locator {
    return this.root.getByRole('application', { name: 'VM screen' });
  }
  get canvas(): Locator {
    return this.screen.locator('canvas');
  }
  get ctrlAltDelButton(): Locator {
    return this.root.getByRole('button', { name: 'Ctrl-Alt-Del' });
  }
  get reconnectButton(): Locator {
    return this.root.getByRole('button', { name: 'Reconnect' });
  }
  get problem(): Locator {
    return this.root.getByRole('alert');
  }

  /** 'Connected', 'Connecting…' or 'Disconnected'. */
  async status(): Promise<string> {
    return (await this.root.getByTestId('display-status').innerText()).trim();
  }
  async waitConnected(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await waitUntil(() => this.status(), (s) => s === 'Connected', 'the display to connect', timeoutMs);
  }
  async sendCtrlAltDel(): Promise<void> {
    await this.ctrlAltDelButton.click();
  }
  /** A PNG of the screen as shown. */
  async screenshot(path?: string): Promise<Buffer> {
    return this.canvas.screenshot(path ? { path } : {});
  }
}
