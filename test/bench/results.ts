// The results file of the benchmark suite: every figure next to its bare reference and the ratio.
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  reference: number;
  referenceName: string;
  /** value / reference */
  ratio: number;
  note?: string;
}

export function resultsMarkdown(figures: BenchFigure[], meta: { date: string; machine: string; accelerator: string }): string {
  const lines = [
    '# Benchmark results',
    '',
    `Measured ${meta.date} on ${meta.machine}, accelerator ${meta.accelerator}. Written by \`npm run bench\`; each figure`,
    'is compared with a bare reference measured in the same run.',
    '',
    '| figure | Hangar | bare reference | ratio | notes |',
    '|---|---|---|---|---|',
  ];
  for (const f of figures) {
    lines.push(`| ${f.name} | ${f.value} ${f.unit} | ${f.reference} ${f.unit} (${f.referenceName}) | ${f.ratio.toFixed(2)} | ${f.note ?? ''} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The middle value (the upper one of the two middles for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
