// The main window: toolbar, VM list, details pane with its tabs, tasks panel and notifications.
import type { Locator, Page } from 'playwright-core';
import { ConsoleView } from './ConsoleView.js';
import { DisplayView } from './DisplayView.js';
import { NewVmWizard } from './NewVmWizard.js';
import { SettingsDialog } from './SettingsDialog.js';
import { TasksPanel } from './TasksPanel.js';
import { DEFAULT_TIMEOUT_MS, waitUntil } from './util.js';

export type ToolbarButton = 'New' | 'Import appliance…' | 'Export appliance…' | 'Settings' | 'Clone' | 'Start' | 'Pause' | 'Resume' | 'Stop' | 'Delete';
export type StopMenuItem = 'Save state' | 'Reset' | 'Power off…';
export type VmMenuItem = 'Start' | 'Pause' | 'Resume' | 'Stop' | 'Power off…' | 'Reset' | 'Save state' | 'Settings…' | 'Clone…' | 'Export appliance…' | 'Migrate…' | 'Delete…';
/** The keyboard shortcuts of the main window, as the tooltips show them. */
export const SHORTCUTS = { newVm: 'Control+Alt+N', importAppliance: 'Control+Alt+I', exportAppliance: 'Control+Alt+E' } as const;
/** The state labels the list shows. */
export type StateLabel = 'Stopped' | 'Starting' | 'Running' | 'Paused' | 'Stopping' | 'Saved' | 'Aborted';

export class MainWindow {
  constructor(readonly page: Page) {}

  /** Opens the interface at `url` (web mode: http://127.0.0.1:PORT/?token=…) and waits for the VM list. */
  static async open(page: Page, url: string): Promise<MainWindow> {
    await page.goto(url);
    const w = new MainWindow(page);
    await w.waitReady();
    return w;
  }

  async waitReady(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.vmList.waitFor({ timeout: timeoutMs });
    await this.page.getByRole('status').filter({ hasText: 'Connecting to Hangar' }).waitFor({ state: 'detached', timeout: timeoutMs });
  }

  get toolbar(): Locator {
    return this.page.getByRole('toolbar', { name: 'Main toolbar' });
  }
  button(name: ToolbarButton): Locator {
    return this.toolbar.getByRole('button', { name, exact: true });
  }
  get stopMenuButton(): Locator {
    return this.toolbar.getByRole('button', { name: 'More stop options' });
  }
  get tasksButton(): Locator {
    return this.toolbar.getByRole('button', { name: 'Tasks', exact: true });
  }

  get search(): Locator {
    return this.page.getByRole('textbox', { name: 'Search virtual machines' });
  }
  get vmList(): Locator {
    return this.page.getByRole('listbox', { name: 'Virtual machines' });
  }
  vm(name: string): Locator {
    return this.vmList.getByRole('option', { name, exact: true });
  }
  async vmNames(): Promise<string[]> {
    return this.vmList.getByRole('option').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }
  async selectVm(name: string): Promise<void> {
    await this.vm(name).click();
    await this.page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
  }
  async selectedVm(): Promise<string | null> {
    const sel = this.vmList.getByRole('option', { selected: true });
    return (await sel.count()) ? sel.getAttribute('aria-label') : null;
  }
  async vmState(name: string): Promise<string> {
    return (await this.vm(name).getByTestId('vm-state').innerText()).trim();
  }
  async waitForState(name: string, state: StateLabel, timeoutMs = 120_000): Promise<void> {
    await waitUntil(() => this.vmState(name), (s) => s === state, `VM '${name}' to be ${state}`, timeoutMs);
  }
  async waitForVm(name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.vm(name).waitFor({ timeout: timeoutMs });
  }
  async waitForVmGone(name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.vm(name).waitFor({ state: 'detached', timeout: timeoutMs });
  }

  async isEnabled(name: ToolbarButton): Promise<boolean> {
    return this.button(name).isEnabled();
  }
  /** Why a toolbar button is greyed out (its accessible description), or null when it is enabled. */
  async whyDisabled(name: ToolbarButton): Promise<string | null> {
    if (await this.button(name).isEnabled()) return null;
    return this.button(name).getAttribute('aria-description');
  }
  /** Points at a toolbar button (through the wrapper that listens for a disabled one) and reads its tooltip. */
  async tooltipOf(name: ToolbarButton): Promise<string> {
    await this.button(name).locator('xpath=..').hover();
    const tip = this.page.getByRole('tooltip');
    await tip.waitFor();
    const text = (await tip.innerText()).trim();
    await this.page.mouse.move(0, 0);
    await tip.waitFor({ state: 'detached' });
    return text;
  }
  /** The icon a toolbar button shows ('play', 'pause'): icons are decorative, so they carry a data attribute. */
  async iconOf(name: ToolbarButton): Promise<string | null> {
    return this.button(name).locator('svg[data-icon]').first().getAttribute('data-icon');
  }
  /** A shortcut of the main window. */
  async shortcut(key: keyof typeof SHORTCUTS): Promise<void> {
    await this.page.keyboard.press(SHORTCUTS[key]);
  }

  async openNewVmWizard(): Promise<NewVmWizard> {
    await this.button('New').click();
    return new NewVmWizard(this.page).waitOpen();
  }
  async openSettings(): Promise<SettingsDialog> {
    await this.button('Settings').click();
    return new SettingsDialog(this.page).waitOpen();
  }

  async start(): Promise<void> {
    await this.button('Start').click();
  }
  async pause(): Promise<void> {
    await this.button('Pause').click();
  }
  async resume(): Promise<void> {
    await this.button('Resume').click();
  }
  /** ACPI shutdown. */
  async stop(): Promise<void> {
    await this.button('Stop').click();
  }
  async stopMenu(item: StopMenuItem): Promise<void> {
    await this.stopMenuButton.click();
    const menu = this.page.getByRole('menu');
    await menu.getByRole('menuitem', { name: item, exact: true }).click();
    await menu.waitFor({ state: 'detached' });
  }
  /** Power off through the Stop menu and its confirmation ("like pulling the plug"). */
  async powerOff(): Promise<void> {
    await this.stopMenu('Power off…');
    await this.confirmPowerOff();
  }
  get powerOffDialog(): Locator {
    return this.page.getByRole('dialog', { name: /^Power off / });
  }
  /** Asked when the guest has not acted on the ACPI power button for a while. */
  get notRespondingDialog(): Locator {
    return this.page.getByRole('dialog', { name: 'The guest is not responding — power it off?' });
  }
  async confirmPowerOff(dialog: Locator = this.powerOffDialog): Promise<void> {
    await dialog.getByRole('button', { name: 'Power off', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  // ---------------------------------------------------------------- the VM list's context menu

  /** Opens a VM's context menu with a right click. */
  async contextMenu(vmName: string): Promise<Locator> {
    await this.vm(vmName).click({ button: 'right' });
    return this.vmMenu(vmName).waitFor().then(() => this.vmMenu(vmName));
  }
  vmMenu(vmName: string): Locator {
    return this.page.getByRole('menu', { name: `Actions for ${vmName}` });
  }
  vmMenuItem(vmName: string, item: VmMenuItem): Locator {
    return this.vmMenu(vmName).getByRole('menuitem', { name: new RegExp(`^${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
  }
  /** Focuses a VM of the list (as Tab or a click would). */
  async focusVm(vmName: string): Promise<void> {
    await this.selectVm(vmName);
    await this.vm(vmName).focus();
  }

  /** The welcome pane shown while there is no VM. */
  get welcome(): Locator {
    return this.page.getByRole('region', { name: 'Welcome' });
  }

  get deleteDialog(): Locator {
    return this.page.getByRole('dialog', { name: /^Delete / });
  }
  /** Deletes the selected VM through the confirmation dialog. */
  async deleteSelected(opts: { keepFiles?: boolean; keepShared?: boolean } = {}): Promise<void> {
    await this.button('Delete').click();
    const d = this.deleteDialog;
    await d.waitFor();
    if (opts.keepFiles) await d.getByRole('checkbox', { name: "Keep the VM's files" }).check();
    if (opts.keepShared) await d.getByRole('checkbox', { name: 'Keep the images the clones need' }).check();
    await d.getByRole('button', { name: 'Delete', exact: true }).click();
    await d.waitFor({ state: 'detached' });
  }

  tab(name: 'Details' | 'Snapshots' | 'Performance' | 'Console' | 'Display'): Locator {
    return this.page.getByRole('tablist', { name: 'VM views' }).getByRole('tab', { name, exact: true });
  }
  /** A section of the Details tab: General, State, System, Storage, Network, Display and console. */
  detailsSection(title: string): Locator {
    return this.page.getByRole('region', { name: title, exact: true });
  }
  async showDetails(): Promise<void> {
    await this.tab('Details').click();
    await this.detailsSection('General').waitFor();
  }
  async openConsole(): Promise<ConsoleView> {
    await this.tab('Console').click();
    return new ConsoleView(this.page).waitOpen();
  }
  async openDisplay(): Promise<DisplayView> {
    await this.tab('Display').click();
    return new DisplayView(this.page).waitOpen();
  }

  async openTasks(): Promise<TasksPanel> {
    const panel = new TasksPanel(this.page);
    if (!(await panel.root.isVisible())) await this.tasksButton.click();
    return panel.waitOpen();
  }

  /** The message of the notification shown for a failed toolbar action (the API's words). */
  get notification(): Locator {
    return this.page.getByTestId('notification');
  }
  async waitForNotification(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    await this.notification.waitFor({ timeout: timeoutMs });
    return (await this.notification.innerText()).trim();
  }

  /** The banner shown while the connection to the owner is down. */
  get connectionBanner(): Locator {
    return this.page.getByRole('status').filter({ hasText: /Not connected|Connecting/ });
  }
}
