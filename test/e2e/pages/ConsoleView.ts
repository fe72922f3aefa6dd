// The Console tab: the serial console in xterm.js.
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_TIMEOUT_MS } from './util.js';

export class ConsoleView {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('region', { name: 'Serial console' });
  }

  async waitOpen(): Promise<this> {
    await this.root.waitFor();
    await this.terminal.locator('.xterm-rows').waitFor();
    return this;
  }

  /** The terminal's box; it has no accessible name of its own, hence the test id. */
  get terminal(): Locator {
    return this.root.getByTestId('console-terminal');
  }
  /** xterm.js's keyboard input (a textarea it labels itself). */
  get input(): Locator {
    return this.terminal.getByRole('textbox');
  }

  /** What the terminal shows now, one line per row (trailing blanks trimmed). */
  async text(): Promise<string> {
    const rows = await this.terminal.locator('.xterm-rows > div').allInnerTexts();
    return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).join('\n').trimEnd();
  }

  async waitForText(text: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.terminal.locator('.xterm-rows', { hasText: text }).waitFor({ timeout: timeoutMs });
  }

  /** Types into the guest (keys go out as `vm.send` without Enter). */
  async type(text: string): Promise<void> {
    await this.terminal.click();
    await this.page.keyboard.type(text);
  }
  async press(key: string): Promise<void> {
    await this.terminal.click();
    await this.page.keyboard.press(key);
  }
  /** A line and Enter. */
  async run(line: string): Promise<void> {
    await this.type(line);
    await this.page.keyboard.press('Enter');
  }

  /** The sentence above the terminal: whether keys reach the guest. */
  get statusLine(): Locator {
    return this.root.getByText(/^(Serial console:|The VM is)/);
  }
  get error(): Locator {
    return this.root.getByRole('alert');
  }
}
