// The picture a fake VM shows on its display (the interface preview's fake VMM host): colour bars, a
// grey ramp and a few lines of text in a built-in 5x7 font, drawn into an RGBA buffer. Pure.

export const SCREEN_WIDTH = 800;
export const SCREEN_HEIGHT = 600;

// 5x7 glyphs, one string per glyph: 7 rows of 5 columns, '#' lit. Lower case is drawn as upper case.
const GLYPHS: Record<string, string> = {
  A: '.###.#...##...#######...##...##...#',
  B: '####.#...##...#####.#...##...#####.',
  C: '.###.#...##....#....#....#...#.###.',
  D: '####.#...##...##...##...##...#####.',
  E: '######....#....####.#....#....#####',
  F: '######....#....####.#....#....#....',
  G: '.###.#...##....#.####...##...#.####',
  H: '#...##...##...#######...##...##...#',
  I: '.###...#....#....#....#....#...###.',
  J: '..###...#....#....#....#.#..#..##..',
  K: '#...##..#.#.#..##...#.#..#..#.#...#',
  L: '#....#....#....#....#....#....#####',
  M: '#...###.###.#.##.#.##...##...##...#',
  N: '#...##...###..##.#.##..###...##...#',
  O: '.###.#...##...##...##...##...#.###.',
  P: '####.#...##...#####.#....#....#....',
  Q: '.###.#...##...##...##.#.##..#..##.#',
  R: '####.#...##...#####.#.#..#..#.#...#',
  S: '.#####....#.....###.....#....#####.',
  T: '#####..#....#....#....#....#....#..',
  U: '#...##...##...##...##...##...#.###.',
  V: '#...##...##...##...##...#.#.#...#..',
  W: '#...##...##...##.#.##.#.##.#.#.#.#.',
  X: '#...##...#.#.#...#...#.#.#...##...#',
  Y: '#...##...#.#.#...#....#....#....#..',
  Z: '#####....#...#...#...#...#....#####',
  '0': '.###.#...##..###.#.###..##...#.###.',
  '1': '..#...##....#....#....#....#...###.',
  '2': '.###.#...#....#...#...#...#...#####',
  '3': '#####...#...#.....#.....##...#.###.',
  '4': '...#...##..#.#.#..#.#####...#....#.',
  '5': '######....####.....#....##...#.###.',
  '6': '..##..#...#....####.#...##...#.###.',
  '7': '#####....#...#...#...#....#....#...',
  '8': '.###.#...##...#.###.#...##...#.###.',
  '9': '.###.#...##...#.####....#...#..##..',
  ' ': '...................................',
  '-': '...............#####...............',
  '.': '..........................##...##..',
  ',': '.....................##....#...#...',
  ';': '......##...##........##....#...#...',
  ':': '......##...##.........##...##......',
  '/': '....#...#....#...#...#....#...#....',
  '(': '...#...#...#....#....#.....#.....#.',
  ')': '.#.....#.....#....#....#...#...#...',
  "'": '..#....#...#.......................',
  _: '..............................#####',
  '#': '.#.#..#.#.#####.#.#.#####.#.#..#.#.',
  '>': '.#.....#.....#.....#...#...#...#...',
  '=': '..........#####.....#####..........',
  '!': '..#....#....#....#....#.........#..',
  '?': '.###.#...#....#...#...#.........#..',
};

/** Whether a character has a glyph (others are drawn as '?'). */
export function hasGlyph(ch: string): boolean {
  return GLYPHS[ch.toUpperCase()] !== undefined;
}

export interface TextLine {
  text: string;
  /** [r, g, b] */
  colour?: [number, number, number];
}

const BARS: [number, number, number][] = [
  [192, 192, 192],
  [192, 192, 0],
  [0, 192, 192],
  [0, 192, 0],
  [192, 0, 192],
  [192, 0, 0],
  [0, 0, 192],
];

const SCALE = 2;
const CELL_W = 6 * SCALE;
const CELL_H = 10 * SCALE;
const TEXT_TOP = 150;
const TEXT_LEFT = 24;

/** How many characters fit on a line of the picture. */
export const LINE_CHARS = Math.floor((SCREEN_WIDTH - 2 * TEXT_LEFT) / CELL_W);
/** How many lines of text fit between the bars and the ramp. */
export const SCREEN_LINES = Math.floor((SCREEN_HEIGHT - 60 - TEXT_TOP) / CELL_H);

/** The test card with `lines` of text (the last SCREEN_LINES of them), as RGBA. */
export function drawTestCard(lines: TextLine[]): Uint8Array {
  const w = SCREEN_WIDTH;
  const h = SCREEN_HEIGHT;
  const px = new Uint8Array(w * h * 4);
  const fill = (x0: number, y0: number, x1: number, y1: number, [r, g, b]: [number, number, number]) => {
    for (let y = Math.max(0, y0); y < Math.min(h, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(w, x1); x++) px.set([r, g, b, 255], (y * w + x) * 4);
    }
  };
  fill(0, 0, w, h, [24, 28, 33]);
  const barW = Math.ceil(w / BARS.length);
  BARS.forEach((c, i) => fill(i * barW, 0, (i + 1) * barW, 120, c));
  for (let x = 0; x < w; x++) {
    const v = Math.round((x / (w - 1)) * 255);
    fill(x, h - 40, x + 1, h, [v, v, v]);
  }
  const shown = lines.slice(-SCREEN_LINES);
  shown.forEach((line, row) => {
    const colour = line.colour ?? [200, 205, 210];
    [...line.text.slice(0, LINE_CHARS)].forEach((ch, col) => {
      const glyph = GLYPHS[ch.toUpperCase()] ?? GLYPHS['?']!;
      for (let gy = 0; gy < 7; gy++) {
        for (let gx = 0; gx < 5; gx++) {
          if (glyph[gy * 5 + gx] !== '#') continue;
          const x = TEXT_LEFT + col * CELL_W + gx * SCALE;
          const y = TEXT_TOP + row * CELL_H + gy * SCALE;
          fill(x, y, x + SCALE, y + SCALE, colour);
        }
      }
    });
  });
  return px;
}
