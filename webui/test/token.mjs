// Browser test of the token's handling (driven by firmware/internal/board's
// TestTokenLeavesTheURL): the page opened as URL?token=T must drop the
// token from its address (and so from history and Referer), still reach
// the API with it, and keep it across a reload in the same tab.
// Prints JSON. Usage: node token.mjs URL
import { launch } from './launch.mjs';

const [url] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  let prompted = false;
  page.on('dialog', (d) => { prompted = true; d.dismiss(); });
  await page.goto(url);
  await page.waitForFunction(() => window.nniescope && window.nniescope.info, null, { timeout: 30000 });
  const address = await page.evaluate(() => location.href);
  await page.reload();
  await page.waitForFunction(() => window.nniescope && window.nniescope.info, null, { timeout: 30000 });
  const afterReload = await page.evaluate(() => ({ href: location.href, model: window.nniescope.info.model }));
  // The stream, whose WebSocket offers the token as a subprotocol, not in
  // its URL: frames arrive.
  const wsURLs = [];
  page.on('websocket', (ws) => wsURLs.push(ws.url()));
  await page.reload();
  await page.waitForFunction(() => window.nniescope && window.nniescope.frames.length > 0, null, { timeout: 30000 });
  const streamed = await page.evaluate(() => window.nniescope.frames.length > 0);
  console.log(JSON.stringify({ address, afterReload, prompted, streamed, wsURLs }));
} finally {
  await browser.close();
}
