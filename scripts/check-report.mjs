// Opens an HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) and checks that it renders: no console errors, no page errors, no
// network requests beyond the file itself, every chart an <svg> with a real size and
// drawn content. Writes a full-page screenshot and prints a JSON verdict on stdout.
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
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const url = pathToFileURL(resolve(html)).href;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (r.url() !== url) problems.push(`fetched ${r.url()}`); });
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || !response.ok()) problems.push(`loading ${url} failed`);
  const charts = await page.$$eval('figure', (figs) => figs.map((f) => {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return {
      id: f.id,
      width: Math.round(box.width),
      height: Math.round(box.height),
      shapes: svg ? svg.querySelectorAll('polyline,path,rect,line,circle').length : 0,
      texts: svg ? svg.querySelectorAll('text').length : 0,
    };
  }));
  for (const c of charts) {
    if (c.width < 300 || c.height < 80) problems.push(`chart ${c.id} is ${c.width}x${c.height} px`);
    if (c.shapes < 3) problems.push(`chart ${c.id} draws nothing (${c.shapes} shapes)`);
    if (c.texts < 2) problems.push(`chart ${c.id} has no axis labels`);
  }
  const verdict = await page.textContent('#verdict');
  if (!verdict) problems.push('no verdict on the page');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify({ ok: problems.length === 0, charts, verdict, problems }, null, 2));
} finally {
  await browser.close();
}
process.exit(problems.length === 0 ? 0 : 1);
