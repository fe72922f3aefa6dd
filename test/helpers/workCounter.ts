// Counts the work a piece of pure code does, instead of timing it: a timing depends on whatever else
// the machine is doing, a count does not. While `fn` runs, every call to the built-in collection
// operations is counted (Map and Set lookups and updates, array pushes and pops), and every element
// an array method or a for…of loop over an array visits. A loop that searches an array inside another
// loop therefore shows up as quadratic even when it is written with find(), filter() or indexOf().
// Only for tests: the prototypes are patched for the duration of `fn` and restored afterwards.

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

/** Array methods that visit (up to) every element: each call counts the array's length. */
const VISITING_ARRAY_METHODS = ['forEach', 'map', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex', 'some', 'every', 'reduce', 'reduceRight', 'indexOf', 'lastIndexOf', 'includes', 'join', 'slice', 'concat', 'sort', 'flatMap', 'flat'] as const;
/** Calls that count one each. */
const UNIT_CALLS: [object, string][] = [
  [Map.prototype, 'get'],
  [Map.prototype, 'set'],
  [Map.prototype, 'has'],
  [Map.prototype, 'delete'],
  [Set.prototype, 'add'],
  [Set.prototype, 'has'],
  [Set.prototype, 'delete'],
  [Array.prototype, 'push'],
  [Array.prototype, 'pop'],
  [Array.prototype, 'shift'],
  [Array.prototype, 'unshift'],
];

export function countWork(fn: () => void): number {
  let count = 0;
  let inside = false;
  const restore: (() => void)[] = [];
  const patch = (proto: object, name: string, cost: (self: unknown) => number) => {
    const owner = proto as Record<string, AnyFn>;
    const original = owner[name]!;
    owner[name] = function (this: unknown, ...args: unknown[]) {
      // Work done by the counter itself, or by an array method calling another, is not counted twice.
      if (!inside) {
        inside = true;
        try {
          count += cost(this);
        } finally {
          inside = false;
        }
      }
      return original.apply(this, args);
    };
    restore.push(() => (owner[name] = original));
  };
  for (const [proto, name] of UNIT_CALLS) patch(proto, name, () => 1);
  for (const name of VISITING_ARRAY_METHODS) patch(Array.prototype, name, (self) => (self as unknown[]).length);
  // for…of over an array: one count per element the loop takes.
  const arrayProto = Array.prototype as unknown as Record<symbol, AnyFn>;
  const originalIterator = arrayProto[Symbol.iterator]!;
  arrayProto[Symbol.iterator] = function (this: unknown) {
    const it = originalIterator.call(this) as Iterator<unknown>;
    const next = it.next.bind(it);
    return Object.assign(Object.create(Object.getPrototypeOf(it) as object) as Iterator<unknown>, {
      next: () => {
        count += 1;
        return next();
      },
      [Symbol.iterator]() {
        return this;
      },
    });
  };
  restore.push(() => (arrayProto[Symbol.iterator] = originalIterator));
  try {
    fn();
  } finally {
    for (const undo of restore.reverse()) undo();
  }
  return count;
}
