/**
 * A small SVG line chart: a few series over the same time axis, a y axis from 0 to a rounded maximum,
 * three grid lines. No library: the admin view needs only this, and SVG scales crisply at any size.
 */
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 160;
const LEFT = 56;
const TOP = 8;
const BOTTOM = 8;

export interface Series {
  name: string;
  /** CSS class giving the line its colour. */
  className: string;
  /** Oldest first; undefined leaves a gap. */
  values: readonly (number | undefined)[];
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

/** 1, 2 or 5 times a power of ten, at least `value`: grid lines at round numbers. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** Redraws `root` (an <svg>) with the series over `capacity` time slots; `format` labels the y axis. */
export function renderChart(root: SVGSVGElement, series: readonly Series[], capacity: number, format: (value: number) => string): void {
  root.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  root.replaceChildren();
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== undefined))));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const y = (value: number) => TOP + plotHeight * (1 - value / max);
  const x = (index: number) => LEFT + ((WIDTH - LEFT) * index) / Math.max(1, capacity - 1);

  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    root.append(svg('line', { class: 'grid', x1: String(LEFT), x2: String(WIDTH), y1: String(y(value)), y2: String(y(value)) }));
    const label = svg('text', { class: 'axis', x: String(LEFT - 6), y: String(y(value) + 4), 'text-anchor': 'end' });
    label.textContent = format(value);
    root.append(label);
  }

  for (const s of series) {
    // Right-aligned: the newest value is always at the right edge.
    const offset = capacity - s.values.length;
    let points: string[] = [];
    const flush = () => {
      if (points.length > 0) {
        root.append(svg('polyline', { class: `line ${s.className}`, points: points.join(' '), 'data-series': s.name }));
      }
      if (points.length === 1) {
        // A lone value (e.g. one second with deliveries between quiet ones) has no line to draw: mark it.
        const [cx = '0', cy = '0'] = (points[0] ?? '').split(',');
        root.append(svg('circle', { class: `dot ${s.className}`, cx, cy, r: '3' }));
      }
      points = [];
    };
    s.values.forEach((value, i) => {
      if (value === undefined) flush();
      else points.push(`${x(offset + i).toFixed(1)},${y(value).toFixed(1)}`);
    });
    flush();
  }
}
