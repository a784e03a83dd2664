/** HTML fragments and number formatting shared by the run and sweep report pages. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Raw HTML that the fragment helpers pass through unescaped. */
export interface Html { readonly html: string }

export const raw = (html: string): Html => ({ html });

type Content = string | number | Html;

const render = (content: Content): string =>
  typeof content === 'object' ? content.html : escapeHtml(String(content));

export function formatInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** Short count for tight spots: 1.23M, 45.6k. */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9)}G`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e4) return `${trim(n / 1e3)}k`;
  return formatInt(n);
}

const trim = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Microseconds as a human latency; three significant digits matches the histograms' precision. */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${trim(us / 1000)} ms`;
  return `${trim(us / 1_000_000)} s`;
}

export function formatRate(perSec: number): string {
  return `${formatCompact(perSec)}/s`;
}

export function formatPercent(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '–';
}

/** A share where small non-zero values matter (lost ticks): more digits only below 1%. */
export function formatShare(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  if (fraction === 0) return '0%';
  return formatPercent(fraction, fraction >= 0.01 ? 1 : 3);
}

export type Tone = 'neutral' | 'good' | 'bad' | 'warn';

export interface CardOptions { sub?: Content; tone?: Tone; title?: string }

/** A headline number: label on top, big value, optional one-line context below. */
export function card(label: string, value: Content, options: CardOptions = {}): string {
  const tone = options.tone ?? 'neutral';
  const title = options.title ? ` title="${escapeHtml(options.title)}"` : '';
  const sub = options.sub === undefined ? '' : `<div class="card-sub">${render(options.sub)}</div>`;
  // Words (a setting's label) need to wrap where numbers should not.
  const long = typeof value === 'string' && value.length > 11 ? ' long' : '';
  return `<div class="card tone-${tone}"${title}><div class="card-label">${escapeHtml(label)}</div>`
    + `<div class="card-value${long}">${render(value)}</div>${sub}</div>`;
}

export function cards(items: string[]): string {
  return `<div class="cards">${items.join('')}</div>`;
}

export function section(id: string, heading: string, content: string, intro?: string): string {
  const lead = intro ? `<p class="intro">${escapeHtml(intro)}</p>` : '';
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(heading)}</h2>${lead}${content}</section>`;
}

export interface TableOptions {
  /** Columns (by index) holding numbers: right-aligned with tabular figures. */
  numeric?: number[];
  /** Extra class per row, e.g. to highlight one. */
  rowClass?: (rowIndex: number) => string | undefined;
  className?: string;
}

export function table(headers: string[], rows: Content[][], options: TableOptions = {}): string {
  const numeric = new Set(options.numeric ?? []);
  const cls = (i: number): string => (numeric.has(i) ? ' class="num"' : '');
  const head = headers.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row, r) => {
    const rowClass = options.rowClass?.(r);
    const cells = row.map((cell, i) => `<td${cls(i)}>${render(cell)}</td>`).join('');
    return `<tr${rowClass ? ` class="${escapeHtml(rowClass)}"` : ''}>${cells}</tr>`;
  }).join('');
  return `<div class="table-wrap"><table class="${escapeHtml(options.className ?? 'data')}"><thead><tr>${head}</tr></thead>`
    + `<tbody>${body}</tbody></table></div>`;
}

/** Label/value pairs laid out in columns: denser than a two-column table for long lists. */
export function keyValues(pairs: Array<[string, Content]>): string {
  const items = pairs.map(([k, v]) => `<div class="kv"><dt>${escapeHtml(k)}</dt><dd>${render(v)}</dd></div>`).join('');
  return `<dl class="kvs">${items}</dl>`;
}

export function badge(text: string, tone: Tone): Html {
  return raw(`<span class="badge tone-${tone}">${escapeHtml(text)}</span>`);
}

export function grid(items: string[], columns: 1 | 2 | 3 = 2): string {
  return `<div class="grid cols-${columns}">${items.join('')}</div>`;
}
