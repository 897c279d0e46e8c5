// Drives Debian's chromium (never a downloaded browser) through
// playwright-core: opens URL, waits for window.nniescope, prints it as JSON.
// Usage: node browser.mjs URL [screenshot.png]
import { launch } from './launch.mjs';

const [url, shot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  const failed = new Promise((_, reject) => page.on('pageerror', (e) => reject(new Error(`page error: ${e}`))));
  await page.goto(url);
  await Promise.race([page.waitForFunction(() => window.nniescope || null, null, { timeout: 60000 }), failed]);
  if (shot) await page.screenshot({ path: shot });
  console.log(JSON.stringify(await page.evaluate(() => window.nniescope)));
} finally {
  await browser.close();
}
