// Opens an HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) and checks that it renders: no console errors, no page errors, no
// network requests beyond the file itself, every chart an <svg> with a real size and
// drawn content, a tooltip (<title>) on its points or cells, and its legend outside the
// plot (under the <svg>, never over it); the rate and utilisation charts carry their
// reference lines (quota, 100%). At 700 px wide the page does not scroll sideways and the
// charts' labels stay readable. Writes full-page screenshots at 1400 px (SCREENSHOT) and
// 700 px (SCREENSHOT with -700 before .png) and prints a JSON verdict on stdout.
// Usage: node scripts/check-report.mjs REPORT.html SCREENSHOT.png
// Exit codes: 0 renders, 1 does not (the JSON says why), 2 bad usage or no browser.
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [html, shot] = process.argv.slice(2);
if (!html || !shot) {
  console.error('usage: node scripts/check-report.mjs REPORT.html SCREENSHOT.png');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`error: no Chromium at ${executablePath}; install Debian's chromium package (scripts/setup.sh does) or set CHROMIUM`);
  process.exit(2);
}
if (!existsSync(html)) {
  console.error(`error: ${html} does not exist`);
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const url = pathToFileURL(resolve(html)).href;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (r.url() !== url) problems.push(`fetched ${r.url()}`); });
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || !response.ok()) problems.push(`loading ${url} failed`);
  const measure = () => page.$$eval('figure', (figs) => figs.map((f) => {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0, top: 0, bottom: 0 };
    const legend = f.querySelector('.legend');
    const lbox = legend ? legend.getBoundingClientRect() : null;
    const texts = svg ? [...svg.querySelectorAll('text')] : [];
    const heights = texts.map((t) => t.getBoundingClientRect().height).filter((h) => h > 0).sort((a, b) => a - b);
    return {
      id: f.id,
      width: Math.round(box.width),
      height: Math.round(box.height),
      shapes: svg ? svg.querySelectorAll('polyline,path,rect,line,circle').length : 0,
      texts: texts.length,
      tooltips: svg ? svg.querySelectorAll('title').length : 0,
      references: svg ? [...svg.querySelectorAll('[data-ref]')].map((g) => g.getAttribute('data-ref')) : [],
      legend_over_plot: lbox ? lbox.top < box.bottom - 1 : false,
      median_text_px: heights.length ? heights[Math.floor(heights.length / 2)] : 0,
    };
  }));
  const charts = await measure();
  for (const c of charts) {
    if (c.width < 300 || c.height < 80) problems.push(`chart ${c.id} is ${c.width}x${c.height} px`);
    if (c.shapes < 3) problems.push(`chart ${c.id} draws nothing (${c.shapes} shapes)`);
    if (c.texts < 2) problems.push(`chart ${c.id} has no axis labels`);
    if (c.tooltips < 1) problems.push(`chart ${c.id} has no tooltips`);
    if (c.legend_over_plot) problems.push(`chart ${c.id}: the legend overlaps the plot`);
  }
  for (const [id, ref] of [['chart-rate', 'stream quota'], ['chart-utilisation', '100%']]) {
    const c = charts.find((x) => x.id === id);
    if (!c) problems.push(`no ${id} chart`);
    else if (!c.references.some((r) => r.includes(ref))) problems.push(`${id} has no '${ref}' reference line`);
  }
  if (!(await page.$('#tiles .tile'))) problems.push('no answer tiles at the top');
  await page.screenshot({ path: shot, fullPage: true });
  await page.setViewportSize({ width: 700, height: 900 });
  const narrow = await measure();
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth);
  if (sideways > 700) problems.push(`at 700 px the page scrolls sideways (${sideways} px wide)`);
  for (const c of narrow) {
    if (c.median_text_px > 0 && c.median_text_px < 10) problems.push(`at 700 px chart ${c.id}'s labels are ${c.median_text_px.toFixed(1)} px high`);
  }
  await page.screenshot({ path: shot.replace(/\.png$/, '') + '-700.png', fullPage: true });
  await page.setViewportSize({ width: 1400, height: 900 });
  const verdict = await page.textContent('#verdict');
  if (!verdict) problems.push('no verdict on the page');
  console.log(JSON.stringify({ ok: problems.length === 0, charts, verdict, problems }, null, 2));
} finally {
  await browser.close();
}
process.exit(problems.length === 0 ? 0 : 1);
