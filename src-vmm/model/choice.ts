// Closed choices that carry both the value the config (and QEMU) gets and the label the UI shows.

export interface Choice<V extends string = string> {
  /** what the config stores and the command line builder understands */
  readonly value: V;
  /** what a person reads in the interface */
  readonly label: string;
}

export type ChoiceValue<T extends readonly Choice[]> = T[number]['value'];

/** The values of a choice list, typed as a non-empty tuple so `z.enum` accepts them. */
export function choiceValues<const T extends readonly Choice[]>(choices: T): [ChoiceValue<T>, ...ChoiceValue<T>[]] {
  return choices.map((c) => c.value) as [ChoiceValue<T>, ...ChoiceValue<T>[]];
}

/** The label of a value, or the value itself when the list does not know it. */
export function labelOf(choices: readonly Choice[], value: string): string {
  return choices.find((c) => c.value === value)?.label ?? value;
}

/** Lists values for an error message: 'a', 'b' or 'c'. */
export function describeChoices(choices: readonly Choice[]): string {
  const quoted = choices.map((c) => `'${c.value}'`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}
