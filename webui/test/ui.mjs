// Browser test of the inspection page (driven by firmware/internal/board's
// TestUIInBrowser): waits for frames, freezes one, reads the box counts,
// raises the score threshold, reads them again, and reads the diff table.
// Prints JSON; saves screenshots into OUTDIR.
// Usage: node ui.mjs URL OUTDIR
import { launch } from './launch.mjs';

const [url, outDir] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const failed = new Promise((_, reject) => page.on('pageerror', (e) => reject(new Error(`page error: ${e}`))));
  const race = (p) => Promise.race([p, failed]);
  await page.goto(url);
  // A frame fit for the threshold check: an image, boxes in every panel,
  // and in some panel a box scoring under 0.8 (a frame whose boxes are all
  // confident would show the same counts at 0.8, whatever the page does).
  const fit = () => {
    const s = window.nniescope;
    const f = s && s.frames[s.index];
    return !!(f && f.image && s.current && s.variants.length >= 2 &&
      s.variants.every((v) => s.current.dets[v] && s.current.dets[v].length > 0) &&
      s.variants.some((v) => s.current.dets[v].some((d) => d.score < 0.8)));
  };
  await race(page.waitForFunction(fit, null, { timeout: 90000 }));
  await page.click('#pause');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  // A newer frame may have been shown between the wait and the pause:
  // step back to a fit one.
  for (let i = 0; i < 50 && !(await page.evaluate(fit)); i++) {
    await page.click('#prev');
  }
  const counts = () => page.evaluate(() => Object.fromEntries(window.nniescope.variants.map((v) => [v, +document.querySelector(`[data-testid="count-${v}"]`).textContent])));
  const before = await counts();
  await page.screenshot({ path: `${outDir}/ui-score-0.25.png` });
  await page.$eval('#score', (el) => { el.value = '0.8'; el.dispatchEvent(new Event('input')); });
  const after = await counts();
  await page.screenshot({ path: `${outDir}/ui-score-0.80.png` });
  await page.$eval('#score', (el) => { el.value = '0.25'; el.dispatchEvent(new Event('input')); });
  const state = await page.evaluate(() => {
    const s = window.nniescope;
    const other = s.variants.find((v) => v !== document.querySelector('#ref').value);
    const cell = (k) => +document.querySelector(`[data-testid="${k}-${other}"]`).textContent;
    return { ref: document.querySelector('#ref').value, other, dets: s.current.dets, diff: { matched: cell('matched'), missed: cell('missed'), extra: cell('extra') }, conn: document.querySelector('#conn').textContent };
  });
  await page.selectOption('#heat', 'box');
  await page.selectOption('#stride', '8');
  const heat = await page.evaluate(() => {
    const s = window.nniescope;
    const h = Object.values(s.heat || {})[0];
    const scale = document.querySelector('[data-testid="heat-scale"]');
    return h ? {
      levels: h.levels.map((l) => [l.stride, l.w, l.h]), hists: h.hists.length, boxMax: Math.max(...h.levels[0].box),
      scale: scale && !scale.hidden ? scale.textContent : '', scaleMax: +(document.querySelector('[data-testid="heat-max"]')?.textContent ?? 'NaN'),
      axes: [...document.querySelectorAll('[data-testid="hist"] text')].map((t) => t.textContent),
      rec: document.querySelector('[data-testid="rec"]').hidden ? '' : document.querySelector('[data-testid="rec"]').textContent,
    } : null;
  });
  await page.screenshot({ path: `${outDir}/ui-diff.png`, fullPage: true });
  // An eval report shows as the AP table.
  const evalJSON = { model: 'm.onnx', data: 'val', images: 65, placement: 'fused-sym', variants: [{ name: 'float', ap: 0.404, ap50: 0.548, ap75: 0.447, box_shift_px: 0 }, { name: 'int8', ap: 0.34, ap50: 0.52, ap75: 0.393, box_shift_px: 4.17 }] };
  await page.setInputFiles('#layersFile', { name: 'eval.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(evalJSON)) });
  await page.waitForSelector('[data-testid="eval-table"]', { timeout: 10000 });
  const evalRows = await page.$$eval('[data-testid="eval-table"] tr', (rows) => rows.length - 1);
  // A corrupt recording must give a visible error, not a blank page.
  await page.setInputFiles('#recFile', { name: 'broken.nsw', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a recording') });
  await page.waitForFunction(() => !document.querySelector('#error').hidden, null, { timeout: 10000 });
  const corruptError = await page.$eval('#error', (el) => el.textContent);
  await page.screenshot({ path: `${outDir}/ui-corrupt-recording.png` });
  // Stop the board (the test's endpoint) and watch the page notice.
  await fetch(new URL('/test-stop', process.env.CONTROL_URL || 'http://127.0.0.1:1').href).catch(() => {});
  let downState = '';
  if (process.env.CONTROL_URL) {
    await page.waitForFunction(() => document.querySelector('#conn').className === 'down', null, { timeout: 15000 });
    downState = await page.$eval('#conn', (el) => el.textContent);
    await page.screenshot({ path: `${outDir}/ui-disconnected.png` });
  }
  // A v2 recording with a frame the board could not process: the page
  // says which and why (wire kind 3), and names the next frame's source.
  // (Last: a loaded recording puts the page in replay mode.)
  let eventError = '', eventFrame = '', replayRec = '';
  if (process.env.EVENTS_NSW) {
    await page.setInputFiles('#recFile', process.env.EVENTS_NSW);
    await page.waitForFunction(() => document.querySelector('#error').textContent.includes('bad-frame.png'), null, { timeout: 10000 });
    eventError = await page.$eval('#error', (el) => el.textContent);
    await page.waitForFunction(() => document.querySelector('#frameInfo').textContent.includes('good-frame.png'), null, { timeout: 10000 });
    eventFrame = await page.$eval('#frameInfo', (el) => el.textContent);
    replayRec = await page.$eval('[data-testid="rec"]', (el) => (el.hidden ? '' : el.textContent));
    await page.screenshot({ path: `${outDir}/ui-error-event.png` });
  }
  console.log(JSON.stringify({ before, after, ...state, corruptError, eventError, eventFrame, replayRec, heat, evalRows, downState }));
} finally {
  await browser.close();
}
