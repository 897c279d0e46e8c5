// Browser test of the page against hostile files (driven by
// tools/internal/cli's TestPageRunsNoScriptFromFiles): opens a crafted
// eval report and a crafted recording whose strings and numbers carry
// `<img src=x onerror=...>` payloads, and reports whether any script ran,
// whether any payload became an element, and whether the page's
// Content-Security-Policy had to block anything (it should not need to:
// escaping comes first). Prints JSON.
// Usage: node xss.mjs URL EVAL.json RECORDING.nsw
import { launch } from './launch.mjs';

const [url, evalFile, recFile] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.evaluate(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.sample || ''}`));
  });
  await page.waitForFunction(() => window.nniescope && window.nniescope.started, null, { timeout: 30000 });
  const csp = await page.evaluate(async () => (await fetch('/')).headers.get('content-security-policy'));
  await page.setInputFiles('#layersFile', evalFile);
  await page.waitForSelector('[data-testid="eval-table"]', { timeout: 10000 });
  await page.setInputFiles('#recFile', recFile);
  await page.waitForSelector('[data-testid^="matched-"]', { timeout: 20000 });
  // Let any queued handler (an image error) fire.
  await page.waitForTimeout(500);
  const res = await page.evaluate(() => ({
    pwned: window.__pwned || 0,
    injected: document.querySelectorAll('img[src="x"], [onerror]').length,
    violations: window.__violations,
    diffRows: document.querySelectorAll('[data-testid^="matched-"]').length,
    evalRows: document.querySelectorAll('[data-testid="eval-table"] tr').length,
    payloadText: document.body.textContent.includes('<img src=x'),
  }));
  res.csp = csp;
  res.errors = errors;
  console.log(JSON.stringify(res));
} finally {
  await browser.close();
}
