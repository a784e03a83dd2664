/**
 * HTML fragments and number formatting shared by the run and sweep report pages.
 *
 * Escaping is by construction: markup is a SafeHtml, made only by the `html` tagged template
 * (which escapes every interpolated string and number), by the helpers below (built on it), or
 * by an explicit `raw()` for markup written in this code. Anything else handed to a helper or
 * interpolated into `html` — a plain string from a result file included — is escaped.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Markup that is safe to put in a page as is. Only `html`, the helpers and `raw` make one. */
export class SafeHtml {
  readonly #markup: string;
  private constructor(markup: string) {
    this.#markup = markup;
  }
  /** @internal the one way in; see `raw` and `html`. */
  static trust(markup: string): SafeHtml {
    return new SafeHtml(markup);
  }
  get html(): string {
    return this.#markup;
  }
  toString(): string {
    return this.#markup;
  }
}

/** Older name of SafeHtml, kept for the helpers' callers. */
export type Html = SafeHtml;

/** What may be interpolated into `html` or handed to a helper: plain values are escaped; nullish/false render nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];
export type Content = HtmlValue;

/**
 * Explicitly trusted markup written in this code (never data): the one way around escaping.
 * Anything built from data goes through `html` instead.
 */
export const raw = (markup: string): SafeHtml => SafeHtml.trust(markup);
export const trustedHtml = raw;

/** Escapes a value for HTML text or a quoted attribute. */
export function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.html;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<td>${value}</td>\`` escapes `value` unless it is SafeHtml. Attribute values must be quoted. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return SafeHtml.trust(out);
}

/** Joins fragments (each escaped unless SafeHtml) with an optional separator written as text. */
export function join(values: readonly HtmlValue[], separator: HtmlValue = ''): SafeHtml {
  return SafeHtml.trust(values.map(render).join(render(separator)));
}

// The formatters are report/format.ts's (one set for the terminal and the HTML).
export { formatCount as formatInt, formatCompact, formatPercent, formatRate, formatShare, formatUs } from './format.js';

export type Tone = 'neutral' | 'good' | 'bad' | 'warn';
const TONES: ReadonlySet<string> = new Set<Tone>(['neutral', 'good', 'bad', 'warn']);

export interface CardOptions {
  sub?: Content;
  tone?: Tone;
  title?: string;
}

/** A headline number: label on top, big value, optional one-line context below. */
export function card(label: string, value: Content, options: CardOptions = {}): SafeHtml {
  const tone = TONES.has(options.tone ?? 'neutral') ? (options.tone ?? 'neutral') : 'neutral';
  const title = options.title ? html` title="${options.title}"` : '';
  const sub = options.sub === undefined ? '' : html`<div class="card-sub">${options.sub}</div>`;
  // Words (a setting's label) need to wrap where numbers should not.
  const long = typeof value === 'string' && value.length > 11 ? ' long' : '';
  return html`<div class="card tone-${tone}"${title}><div class="card-label">${label}</div><div class="card-value${long}">${value}</div>${sub}</div>`;
}

export function cards(items: readonly HtmlValue[]): SafeHtml {
  return html`<div class="cards">${items}</div>`;
}

export function section(id: string, heading: string, content: HtmlValue, intro?: string): SafeHtml {
  const lead = intro ? html`<p class="intro">${intro}</p>` : '';
  return html`<section id="${id}"><h2>${heading}</h2>${lead}${content}</section>`;
}

export interface TableOptions {
  /** Columns (by index) holding numbers: right-aligned with tabular figures. */
  numeric?: number[];
  /** Extra class per row, e.g. to highlight one. */
  rowClass?: (rowIndex: number) => string | undefined;
  className?: string;
}

export function table(headers: readonly HtmlValue[], rows: readonly (readonly Content[])[], options: TableOptions = {}): SafeHtml {
  const numeric = new Set(options.numeric ?? []);
  const cls = (i: number): SafeHtml => raw(numeric.has(i) ? ' class="num"' : '');
  const head = headers.map((h, i) => html`<th${cls(i)}>${h}</th>`);
  const body = rows.map((row, r) => {
    const rowClass = options.rowClass?.(r);
    const cells = row.map((cell, i) => html`<td${cls(i)}>${cell}</td>`);
    return html`<tr${rowClass ? html` class="${rowClass}"` : ''}>${cells}</tr>`;
  });
  return html`<div class="table-wrap"><table class="${options.className ?? 'data'}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** Label/value pairs laid out in columns: denser than a two-column table for long lists. */
export function keyValues(pairs: ReadonlyArray<readonly [HtmlValue, Content]>): SafeHtml {
  return html`<dl class="kvs">${pairs.map(([k, v]) => html`<div class="kv"><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

export function badge(text: string, tone: Tone): SafeHtml {
  return html`<span class="badge tone-${TONES.has(tone) ? tone : 'neutral'}">${text}</span>`;
}

export function grid(items: readonly HtmlValue[], columns: 1 | 2 | 3 = 2): SafeHtml {
  return html`<div class="grid cols-${[1, 2, 3].includes(columns) ? columns : 2}">${items}</div>`;
}
