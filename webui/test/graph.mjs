// Browser test of the model graph view (driven by tools/internal/cli's
// TestGraphView): loads a `layers --json` report (and, when given, a
// `search --json` one) into the page served by `nniescope serve`, finds a
// node through the search box, clicks it, and reads back the graph and the
// node's panel. Prints JSON; saves a screenshot as PNG.
// Usage: node graph.mjs URL LAYERS.json SEARCH.json|- NODE PNG
import { launch } from './launch.mjs';

const [url, layersFile, searchFile, nodeName, shot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => window.nniescope && window.nniescope.started, null, { timeout: 30000 });
  await page.setInputFiles('#layersFile', layersFile);
  if (searchFile !== '-') {
    await page.waitForSelector('[data-testid="graph"]', { timeout: 30000 });
    await page.setInputFiles('#layersFile', searchFile);
    await page.waitForSelector('[data-testid="search-curve"]', { timeout: 10000 });
  }
  await page.waitForSelector('[data-testid="graph"]', { timeout: 30000 });
  await page.fill('#gfind', nodeName);
  await page.dispatchEvent('#gfind', 'change');
  await page.waitForFunction((n) => document.querySelector('[data-testid="node-title"]')?.textContent === n, nodeName, { timeout: 10000 });
  const found = await page.evaluate(() => ({
    title: document.querySelector('[data-testid="node-title"]').textContent,
    selected: [...document.querySelectorAll('.gnode.selected')].map((g) => g.dataset.name),
    calib: document.querySelector('[data-testid="record-calib"]')?.textContent ?? '',
    calib16: document.querySelector('[data-testid="record-calib16"]')?.textContent ?? '',
    searchAP: document.querySelector('[data-testid="search-ap"]')?.textContent ?? '',
    board: document.querySelector('[data-testid="board-time"]')?.textContent ?? '',
  }));
  // Clicking another node shows its panel instead.
  const other = await page.evaluate((n) => [...document.querySelectorAll('.gnode')].map((g) => g.dataset.name).find((x) => x !== n), nodeName);
  await page.dispatchEvent(`[data-testid="node-${other}"]`, 'click');
  const clicked = await page.textContent('[data-testid="node-title"]');
  // And clicking the node itself shows its records.
  await page.dispatchEvent(`[data-testid="node-${nodeName}"]`, 'click');
  const back = await page.evaluate(() => ({
    title: document.querySelector('[data-testid="node-title"]').textContent,
    records: ['calib', 'calib16'].map((k) => document.querySelector(`[data-testid="record-${k}"]`)?.textContent ?? ''),
  }));
  const nodes = await page.$$eval('.gnode', (gs) => gs.map((g) => ({ name: g.dataset.name, fill: g.querySelector('rect').getAttribute('fill'), stroke: g.querySelector('rect').getAttribute('stroke'), header: g.querySelectorAll('rect')[1].getAttribute('fill'), op: g.querySelector('text').textContent })));
  const edges = await page.$$eval('[data-testid="graph"] polyline', (ps) => ps.length);
  const tableFirst = await page.$eval('[data-testid="layers-table"] tr:nth-child(2) td', (td) => td.textContent);
  await page.screenshot({ path: shot });
  await page.selectOption('#gmode', 'cumulative');
  const cumulative = await page.$$eval('.gnode', (gs) => gs.map((g) => g.querySelector('rect').getAttribute('fill')));
  console.log(JSON.stringify({ found, other, clicked, back, tableFirst, nodes, edges, cumulative, errors }));
} finally {
  await browser.close();
}
