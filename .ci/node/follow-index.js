// Open an editions index page in Debian's chromium, follow the current edition's regulator PDF
// link the way a reader would (a click), and report what arrived as JSON:
// {"href": ..., "status": ..., "contentType": ..., "bytes": ..., "head": "%PDF-"}.
// Usage: node follow-index.js URL-OF-index.html   (CHROMIUM=/path/to/chromium to override)
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function main() {
  const url = process.argv[2];
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  const browser = await chromium.launch({ executablePath, args: FLAGS, headless: true });
  try {
    const context = await browser.newContext({ acceptDownloads: true });
    // Only the page's own origin may load: the index is self-contained.
    const origin = new URL(url).origin;
    await context.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    // The first edition listed is the current one; its table's Regulator row has the PDF link.
    const link = page.locator('.edition').first().locator('tr', { hasText: 'Regulator' }).locator('a', { hasText: 'PDF' }).first();
    const href = await link.evaluate((a) => a.href);
    // Chromium either shows the PDF (a navigation whose response is the PDF) or downloads it.
    const arrived = Promise.race([
      page.waitForEvent('download', { timeout: 20000 }).then(async (d) => ({ how: 'download', data: fs.readFileSync(await d.path()) })),
      page.waitForResponse((r) => r.url() === href, { timeout: 20000 }).then(async (r) => ({ how: 'navigation', status: r.status(), type: r.headers()['content-type'], data: await r.body() })),
    ]);
    await link.click();
    const got = await arrived;
    if (got.how === 'navigation') {
      // Chromium's PDF viewer hands the page a wrapper document; fetch the bytes the link points to.
      const resp = await context.request.get(href);
      got.data = await resp.body();
    }
    process.stdout.write(JSON.stringify({ href, how: got.how, status: got.status || null, contentType: got.type || null, bytes: got.data.length, head: got.data.subarray(0, 5).toString('latin1') }) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((err) => { process.stderr.write(String(err && err.stack || err) + '\n'); process.exit(2); });
