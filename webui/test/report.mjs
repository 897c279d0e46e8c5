// Browser test of the evaluation views (driven by tools/internal/cli's
// TestEvalViews): loads an `eval --json` and a `search --json` report into
// the page served by `nniescope serve`, then opens the `eval --html` file,
// and reads back what each shows: AP per class and variant, the PR curves
// (precision recovered from the plotted points), the confusion matrix
// cells, the search's points. Prints JSON; saves screenshots into OUTDIR.
// Usage: node report.mjs URL EVAL.json SEARCH.json REPORT.html OUTDIR
import { launch } from './launch.mjs';

const [url, evalFile, searchFile, htmlFile, outDir] = process.argv.slice(2);
const browser = await launch();

// read collects the numbers a report view shows.
const read = (page) => page.evaluate(() => {
  const out = { classes: {}, pr: {}, cm: {}, errors: [] };
  for (const td of document.querySelectorAll('[data-testid^="class-ap"]')) out.classes[td.dataset.testid] = td.textContent;
  const svg = document.querySelector('[data-testid="pr-curves"]');
  if (svg) {
    const x0 = +svg.dataset.x0, x1 = +svg.dataset.x1, y0 = +svg.dataset.y0, y1 = +svg.dataset.y1;
    for (const pl of svg.querySelectorAll('polyline')) {
      out.pr[pl.dataset.testid.slice(3)] = pl.getAttribute('points').trim().split(/\s+/).map((p) => {
        const [x, y] = p.split(',').map(Number);
        return [(x - x0) / (x1 - x0), 1 - (y - y0) / (y1 - y0)];
      });
    }
  }
  for (const t of document.querySelectorAll('text[data-testid^="cm-"]')) out.cm[t.dataset.testid] = +t.textContent;
  return out;
});

try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => window.nniescope && window.nniescope.started, null, { timeout: 30000 });
  await page.setInputFiles('#layersFile', evalFile);
  await page.waitForSelector('[data-testid="class-table"]', { timeout: 10000 });
  const onPage = await read(page);
  await page.screenshot({ path: `${outDir}/eval.png`, fullPage: true });
  await page.setInputFiles('#layersFile', searchFile);
  await page.waitForSelector('[data-testid="search-curve"]', { timeout: 10000 });
  const search = await page.$$eval('[data-testid="search-point"]', (cs) => cs.map((c) => ({ ap: +c.dataset.ap, ms: +c.dataset.ms, ringed: c.getAttribute('fill') === 'none' })));
  await page.screenshot({ path: `${outDir}/search.png`, fullPage: true });

  const file = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  file.on('pageerror', (e) => errors.push(`report file: ${e.message}`));
  await file.goto('file://' + htmlFile);
  await file.waitForSelector('[data-testid="class-table"]', { timeout: 10000 });
  const inFile = await read(file);
  await file.screenshot({ path: `${outDir}/eval-html.png`, fullPage: true });
  console.log(JSON.stringify({ onPage, inFile, search, errors }));
} finally {
  await browser.close();
}
