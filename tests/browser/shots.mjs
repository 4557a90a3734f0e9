// Screenshots of the main pages at phone and desktop width, for people to look at (not a test).
// Usage: node tests/browser/shots.mjs http://127.0.0.1:3000 OUTDIR
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const out = process.argv[3] ?? 'tests/browser/out';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'
  ],
});
const errors = [];
for (const width of [375, 1280]) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${width}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${width}: ${e.message}`));
  await page.goto(`${base}/login`);
  await page.screenshot({ path: `${out}/login-${width}.png`, fullPage: true });
  await page.fill('#username', process.env.LIANBING_USER ?? 'admin');
  await page.fill('#password', 'lianbing2026');
  await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/api/login"] button')]);
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${out}/home-${width}.png`, fullPage: true });
  for (const path of (process.argv[4] ?? '/admin/units,/admin/users,/admin/users/new,/admin/import,/admin/audit').split(',')) {
    await page.goto(`${base}${path}`);
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${out}/${path.replaceAll('/', '_').slice(1)}-${width}.png`, fullPage: true });
  }
  await context.close();
}
await browser.close();
console.log(errors.length ? `console errors:\n${errors.join('\n')}` : 'no console errors');
