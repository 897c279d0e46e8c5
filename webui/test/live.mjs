// Live-view stability test (driven by firmware/internal/board's
// TestLiveViewStable): with the board streaming several variants, chooses
// the last variant as the diff reference, then samples the page every
// 250 ms for SECONDS: the panels present, their box labels, the AP shown,
// the reference chosen. Counts page errors and console errors. Prints
// JSON; saves a screenshot into OUTDIR.
// Usage: node live.mjs URL OUTDIR SECONDS
import { launch } from './launch.mjs';

const [url, outDir, seconds] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(url);
  await page.waitForFunction(() => window.nniescope && window.nniescope.variants.length >= 2 && window.nniescope.current, null, { timeout: 120000 });
  const variants = await page.evaluate(() => window.nniescope.variants);
  const chosen = variants[variants.length - 1];
  await page.selectOption('#ref', chosen);
  const samples = [];
  const end = Date.now() + 1000 * +seconds;
  while (Date.now() < end) {
    samples.push(await page.evaluate((vs) => ({
      panels: vs.filter((v) => document.querySelector(`[data-testid="canvas-${CSS.escape(v)}"]`)).length,
      counts: vs.map((v) => document.querySelector(`[data-testid="count-${CSS.escape(v)}"]`)?.textContent ?? null),
      ap: vs.map((v) => document.querySelector(`[data-testid="ap-${CSS.escape(v)}"]`)?.textContent ?? null),
      labels: vs.map((v) => document.querySelector(`[data-testid="canvas-${CSS.escape(v)}"]`)?.getAttribute('aria-label') ?? ''),
      ref: document.querySelector('#ref').value,
      seq: window.nniescope.current?.seq ?? -1,
    }), variants));
    await new Promise((r) => setTimeout(r, 250));
  }
  await page.screenshot({ path: `${outDir}/live.png` });
  const legend = await page.evaluate(() => document.querySelector('#legend')?.textContent ?? '');
  console.log(JSON.stringify({ variants, chosen, samples, errors, legend }));
} finally {
  await browser.close();
}
