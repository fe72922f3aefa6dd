// Keyboard shortcuts of the main window (pure). In a browser Ctrl+N, Ctrl+I and Ctrl+E belong to the
// browser (new window, page info, search), so web mode takes Ctrl+Alt+<key> as VS Code's web build
// does; the desktop app's File menu also has Ctrl+N and Ctrl+I.
export type ShortcutCommand = 'newVm' | 'importAppliance' | 'exportAppliance';

const KEYS: Record<ShortcutCommand, string> = { newVm: 'n', importAppliance: 'i', exportAppliance: 'e' };

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
  /** AltGr (Ctrl+Alt on many layouts) types a character: never a shortcut */
  altGraph: boolean;
}

/** The command a key press stands for, or null. */
export function matchShortcut(e: KeyLike): ShortcutCommand | null {
  if (e.altGraph || !e.ctrlKey || !e.altKey || e.shiftKey || e.metaKey) return null;
  const key = e.key.toLowerCase();
  for (const [cmd, k] of Object.entries(KEYS) as [ShortcutCommand, string][]) if (k === key) return cmd;
  return null;
}

/** The shortcut as shown in tooltips and menus: "Ctrl+Alt+N". */
export function shortcutLabel(cmd: ShortcutCommand): string {
  return `Ctrl+Alt+${KEYS[cmd].toUpperCase()}`;
}
