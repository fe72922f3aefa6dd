// Where the focus goes when a wizard shows a step: its first field (the checked radio of a group),
// else the given fallback (the summary step's Create button). No DOM types needed beyond HTMLElement.

const FIELD = 'input:not([type="hidden"]):not([disabled]), textarea:not([disabled]), [role="combobox"]:not([aria-disabled="true"])';

export function focusStepStart(step: HTMLElement | null, fallback: HTMLElement | null): void {
  if (!step) return;
  let first = step.querySelector<HTMLElement>(FIELD);
  // In a radio group the checked radio takes the focus, as arrow keys expect.
  if (first instanceof HTMLInputElement && first.type === 'radio' && first.name) {
    first = step.querySelector<HTMLElement>(`input[type="radio"][name="${CSS.escape(first.name)}"]:checked`) ?? first;
  }
  (first ?? fallback)?.focus();
}
