// Browser test of the page served by `nniescope serve` (driven by
// tools/internal/cli's TestServeOffline): with no board behind it the page
// says so, opens no WebSocket and throws nothing. Prints JSON; with a
// second argument, saves a screenshot there. Usage: node offline.mjs URL [PNG]
import { launch } from './launch.mjs';

const [url, shot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  let sockets = 0;
  const errors = [];
  page.on('websocket', () => { sockets++; });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  // started is set once the page has decided whether to connect.
  await page.waitForFunction(() => window.nniescope && window.nniescope.started, null, { timeout: 30000 });
  const badge = await page.textContent('#conn');
  const cls = await page.getAttribute('#conn', 'class');
  if (shot) await page.screenshot({ path: shot });
  console.log(JSON.stringify({ badge, cls, sockets, errors }));
} finally {
  await browser.close();
}
