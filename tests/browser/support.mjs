// Shared by the browser journeys: Debian's chromium through playwright-core (nothing downloads a browser), a
// fresh profile per journey that records page errors, logging in, and waiting for hydration.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

export const base = process.env.LIANBING_URL ?? 'http://127.0.0.1:3000';
export const shots = process.env.LIANBING_SHOTS ?? 'tests/browser/out';
export const label = process.env.LIANBING_DB ?? 'sqlite';
mkdirSync(shots, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh browser profile; collects page errors so a broken hydration fails the journey. */
export async function open(browser, { width = 1280, javaScript = true } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN', javaScriptEnabled: javaScript });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return { context, page, errors };
}

export async function login(page, username, password = 'lianbing2026') {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('form[action="/api/login"] button[type=submit]');
}

/** Waits until the WASM bundle has hydrated the page, so clicks go through the client. */
export async function hydrated(page) {
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
  await page.waitForLoadState('networkidle');
}
