// Helpers shared by the page objects (Playwright, selectors by role and accessible name).
import type { Locator, Page } from 'playwright-core';

export const DEFAULT_TIMEOUT_MS = 15_000;

/** The helper or error text MUI links to a field with aria-describedby; null when it has none. */
export async function describedText(page: Page, field: Locator): Promise<string | null> {
  const ids = await field.getAttribute('aria-describedby');
  if (!ids) return null;
  const parts: string[] = [];
  for (const id of ids.split(/\s+/).filter(Boolean)) {
    const el = page.locator(`[id="${id}"]`);
    if (await el.count()) parts.push((await el.innerText()).trim());
  }
  const text = parts.join(' ').trim();
  return text === '' ? null : text;
}

/** The error shown under a field, or null when the field is valid. */
export async function fieldError(page: Page, field: Locator): Promise<string | null> {
  if ((await field.getAttribute('aria-invalid')) !== 'true') return null;
  return describedText(page, field);
}

/** Picks an option of an MUI select (a combobox that opens a listbox). */
export async function chooseOption(page: Page, combobox: Locator, option: string | RegExp): Promise<void> {
  await combobox.click();
  const listbox = page.getByRole('listbox');
  await listbox.getByRole('option', { name: option, exact: typeof option === 'string' }).click();
  await listbox.waitFor({ state: 'detached' });
}

/** Polls `read` until `accept` says yes; fails with the last value seen. */
export async function waitUntil<T>(read: () => Promise<T>, accept: (v: T) => boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let delay = 50;
  for (;;) {
    try {
      last = await read();
      if (accept(last)) return last;
    } catch {
      /* not there yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(500, delay * 2);
  }
}

/**
 * Starts watching for the progress bar named `label` (a fast task may show it only for a moment):
 * whether it appeared and each distinct status text under it. `seen()` reads what was watched.
 * (The watcher runs in the page, written as text: the tests compile without the DOM's types.)
 */
export async function watchProgressBar(page: Page, label: string): Promise<{ seen(): Promise<{ bar: boolean; messages: string[] }> }> {
  await page.evaluate(`
    window.progressSeen = { bar: false, messages: [] };
    new MutationObserver(() => {
      const bar = document.querySelector('[role="progressbar"][aria-label=${JSON.stringify(label)}]');
      if (!bar) return;
      window.progressSeen.bar = true;
      const status = bar.parentElement?.querySelector('[role="status"]')?.textContent ?? '';
      if (status && !window.progressSeen.messages.includes(status)) window.progressSeen.messages.push(status);
    }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  `);
  return { seen: async () => (await page.evaluate('window.progressSeen')) as { bar: boolean; messages: string[] } };
}

/** Whether the element has the keyboard focus. */
export async function isFocused(el: Locator): Promise<boolean> {
  return el.evaluate((e) => e === (e as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement);
}

/** The accessible name (aria-label, else text) of the element that has the focus, with its role. */
export async function focusedElement(page: Page): Promise<{ role: string | null; tag: string; label: string }> {
  return (await page.evaluate(`(() => {
    const e = document.activeElement;
    if (!e) return { role: null, tag: '', label: '' };
    const labelled = e.getAttribute('aria-labelledby');
    const byId = labelled ? labelled.split(/\\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim() : '';
    const forLabel = e.id ? document.querySelector('label[for="' + e.id + '"]')?.textContent ?? '' : '';
    const wrapped = e.closest('label')?.textContent ?? '';
    return { role: e.getAttribute('role') ?? e.getAttribute('type'), tag: e.tagName, label: (e.getAttribute('aria-label') || byId || forLabel || wrapped || e.textContent || '').trim() };
  })()`)) as { role: string | null; tag: string; label: string };
}

/**
 * Waits until the page's finite CSS transitions and animations have finished (a dialog faded in, a
 * menu opened), for screenshots; endless ones (a blinking cursor, a spinner) are left running.
 */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(`Promise.all(document.getAnimations()
    .filter((a) => { const t = a.effect && a.effect.getComputedTiming(); return t && Number.isFinite(t.endTime); })
    .map((a) => a.finished.catch(() => undefined)))`);
}

/**
 * Waits until a folder list (the file dialogs' lists carry `data-folder` and `aria-busy`) shows a
 * finished listing of `folder`, or of a folder `folder` accepts. The progress bar alone is not enough:
 * a listing starts in an effect after the click or Enter, so a check made at once can find the old
 * listing, finished, still in place.
 */
export async function waitForListing(list: Locator, folder: string | ((listed: string) => boolean), what: string): Promise<void> {
  const wanted = typeof folder === 'string' ? (f: string) => f === folder : folder;
  await waitUntil(
    async () => ({ listed: (await list.getAttribute('data-folder')) ?? '', busy: await list.getAttribute('aria-busy') }),
    (l) => l.busy !== 'true' && wanted(l.listed),
    `the ${what} to list ${typeof folder === 'string' ? folder : 'the new folder'}`,
  );
}
