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
  get clipboardButton(): Locator {
    return this.root.getByRole('button', { name: 'Clipboard' });
  }
  get clipboardPanel(): Locator {
    return this.root.getByRole('region', { name: 'Clipboard' });
  }
  async openClipboard(): Promise<Locator> {
    if (!(await this.clipboardPanel.isVisible())) await this.clipboardButton.click();
    await this.clipboardPanel.waitFor();
    return this.clipboardPanel;
  }
  /** Types text into the panel's "To the VM" field and sends it. */
  async sendClipboard(text: string): Promise<void> {
    const panel = await this.openClipboard();
    await panel.getByRole('textbox', { name: 'To the VM' }).fill(text);
    await panel.getByRole('button', { name: 'Send to the VM' }).click();
  }
  /** What the panel shows the guest put on its clipboard. */
  async clipboardFromGuest(): Promise<string> {
    const panel = await this.openClipboard();
    return panel.getByRole('textbox', { name: 'From the VM' }).inputValue();
  }
  /** The screen element's size in CSS pixels: what noVNC asks the guest's display to become. */
  async screenSize(): Promise<{ width: number; height: number }> {
    return this.screen.evaluate((el) => ({ width: el.clientWidth, height: el.clientHeight }));
  }
  /** A PNG of the screen as shown. */
  async screenshot(path?: string): Promise<Buffer> {
    return this.canvas.screenshot(path ? { path } : {});
  }
}
