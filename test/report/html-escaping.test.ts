/**
 * Escaping by construction (issue 12): every page rendered from a result whose every string and
 * number field holds markup must contain no tag that came from the data.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { card, html, keyValues, raw, section, table } from '../../report/html-parts.js';
import { renderRunReport } from '../../report/html-report.js';
import { renderSweepReport } from '../../report/sweep-report.js';
import type { RunResult } from '../../run/run-result.js';

const PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', "'><svg onload=alert(3)>"];

/** Every string and number leaf replaced by a payload (keys kept, so the renderers find their fields). */
function poison(value: unknown, payload: string): unknown {
  if (typeof value === 'string' || typeof value === 'number') return payload;
  if (Array.isArray(value)) return value.map((v) => poison(v, payload));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poison(v, payload)]));
  return value;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/result-small.json', import.meta.url), 'utf8')) as RunResult;

/** The page's own three script elements (data, Chart.js, runtime) and nothing from the data. */
function expectNoInjectedMarkup(page: string): void {
  // The data script element is JSON with every `<` escaped.
  const data = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(page)![1]!;
  expect(data).not.toContain('<');
  // Outside the page's own scripts (whose sources are constants), no tag or handler from the data.
  const scripts = [...page.matchAll(/<script[^>]*>[\s\S]*?<\/script>/gi)];
  expect(scripts.map((m) => /^<script[^>]*>/.exec(m[0])![0])).toEqual([
    '<script type="application/json" id="report-data">',
    '<script>',
    '<script>',
  ]);
  const markup = page.replace(/<script[^>]*>[\s\S]*?<\/script>/gi, '');
  expect(markup).not.toMatch(/<script|<img|<svg/i);
  // Quotes from the data never close an attribute (the handler names may stay, as text).
  expect(markup).not.toMatch(/["']><(img|svg)/);
}

describe('HTML escaping by construction', () => {
  it.each(PAYLOADS)('the run report escapes every field of a poisoned result (%s)', (payload) => {
    // A poisoned file holds any string anywhere, even where the schema has a number or a fault kind.
    const result = {
      ...(poison(fixture, payload) as RunResult),
      faults: [{ atSec: 1, kind: payload, phase: 'start', detail: payload }],
      thresholds: [{ name: payload, limit: payload, actual: payload, pass: false }],
      warnings: [payload],
    } as unknown as RunResult;
    const page = renderRunReport(result);
    expectNoInjectedMarkup(page);
    expect(page).toContain('&#60;'); // the payload is there, as text
  });

  it.each(PAYLOADS)('the sweep report escapes labels, settings and results (%s)', (payload) => {
    const result = poison(fixture, payload) as RunResult;
    const page = renderSweepReport({
      entries: [
        {
          label: payload,
          settings: {
            partitions: payload as unknown as number,
            workers: payload as unknown as number,
            client: payload,
            ticksPerRecord: payload as unknown as number,
          },
          result,
        },
      ],
      best: { label: payload, reason: payload },
      maxP99Us: null,
    });
    expectNoInjectedMarkup(page);
  });

  it('the helpers escape plain strings, pass SafeHtml, and take raw markup only through raw()', () => {
    const evil = '<b onclick="x">';
    expect(html`<p>${evil}</p>`.html).toBe('<p>&#60;b onclick=&#34;x&#34;&#62;</p>');
    expect(html`<p>${html`<i>${evil}</i>`}</p>`.html).toBe('<p><i>&#60;b onclick=&#34;x&#34;&#62;</i></p>');
    expect(section('s', evil, evil).html).not.toContain('<b');
    expect(card(evil, evil, { sub: evil, title: evil }).html).not.toContain('<b');
    expect(table([evil], [[evil, 1]]).html).not.toContain('<b');
    expect(keyValues([[evil, evil]]).html).not.toContain('<b');
    // An object that only looks like markup (e.g. from a result file) is not trusted.
    expect(section('s', 'h', { html: evil } as never).html).not.toContain('<b');
    expect(section('s', 'h', raw('<em>ok</em>')).html).toContain('<em>ok</em>');
  });
});
