// Study in chromium: a trainee opens a course, reads a lesson (time counts only while the page is visible), passes
// the knowledge checks, sees 学时 rise, passes the final test, prints the certificate, and the public verification
// page confirms it. The server runs with a short heartbeat (LIANBING_HEARTBEAT_SECONDS=2) so this takes seconds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'smol-toml';
import { base, shots, label, launch, login, hydrated } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The bank's answers by stem: the test knows them from the content files; the page never sends them. */
const bank = new Map();
for (const file of ['course-onsite-inspection.toml']) {
  for (const q of parse(readFileSync(`content/questions/${file}`, 'utf8')).question) bank.set(q.stem, q.answer);
}

async function answerAll(page, form) {
  const questions = page.locator(`${form} fieldset.question`);
  await questions.first().waitFor({ state: 'attached' });
  // A fresh form: nothing carried over from the page before.
  assert.equal(await page.locator(`${form} input:checked`).count(), 0);
  const n = await questions.count();
  if (!n) await page.screenshot({ path: `${shots}/${label}-no-questions.png`, fullPage: true });
  assert.ok(n > 0, `no questions in ${form} at ${page.url()}`);
  for (let i = 0; i < n; i++) {
    const q = questions.nth(i);
    const legend = (await q.locator('legend').innerText()).replace(/^\d+\.\s*/, '').replace(/多选$/, '').trim();
    const stem = [...bank.keys()].find((s) => legend.startsWith(s) || s.startsWith(legend));
    assert.ok(stem, `no bank question for "${legend}"`);
    for (const letter of bank.get(stem)) {
      const box = q.locator(`input[value="${letter}"], input[name$="-${letter}]"]`);
      await box.check();
    }
  }
}

const seconds = async (page) => Number(await page.locator('#reading-time').getAttribute('data-seconds'));

test('a trainee completes a course: reading time, knowledge checks, 学时, final test, a printed and verified certificate', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await login(page, 'trainee');
  await page.waitForURL(`${base}/`);
  const before = Number(await page.locator('#hours-label').getAttribute('data-hundredths'));

  await page.goto(`${base}/courses?track=evidence`);
  await page.locator('.course-card', { hasText: '现场检查全过程' }).click();
  await page.waitForURL(`${base}/courses/onsite-inspection`);
  await page.screenshot({ path: `${shots}/${label}-course-1280.png`, fullPage: true });
  await Promise.all([page.waitForURL(/\/lessons\//), page.click('#resume')]);
  await hydrated(page);

  // Reading: a visible page in use earns time.
  await page.mouse.move(200, 300);
  await page.waitForFunction(() => Number(document.querySelector('#reading-time').dataset.seconds) >= 2, null, { timeout: 15000 });
  // An idle (hidden) tab earns none.
  await page.evaluate(() => Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }));
  await page.waitForTimeout(1500);
  const frozen = await seconds(page);
  await page.waitForTimeout(5000);
  assert.equal(await seconds(page), frozen, 'a hidden tab earns no time');
  await page.evaluate(() => { delete document.hidden; });

  let lessons = 0;
  for (;;) {
    await answerAll(page, '#check-form');
    await page.click('#check-submit');
    await page.locator('#check-result', { hasText: '测验通过' }).waitFor();
    await page.locator('#lesson-done').waitFor();
    if (lessons === 0) await page.screenshot({ path: `${shots}/${label}-lesson-checked-1280.png`, fullPage: true });
    lessons++;
    if (!(await page.locator('#next-lesson').count())) break;
    await Promise.all([page.waitForURL(/\/lessons\//), page.click('#next-lesson')]);
    await hydrated(page);
  }
  assert.equal(lessons, 4);

  // 学时 rose on the home page.
  await page.goto(`${base}/`);
  const after = Number(await page.locator('#hours-label').getAttribute('data-hundredths'));
  assert.ok(after > before, `学时 ${before} → ${after}`);

  await page.goto(`${base}/courses/onsite-inspection`);
  await Promise.all([page.waitForURL(/\/test$/), page.click('#take-test')]);
  await hydrated(page);
  await answerAll(page, '#test-form');
  await page.click('#test-submit');
  await page.locator('#certificate-link').waitFor();
  await Promise.all([page.waitForURL(/\/certificates\//), page.click('#certificate-link')]);
  const code = await page.locator('#certificate-code').innerText();
  assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  await page.screenshot({ path: `${shots}/${label}-certificate-1280.png`, fullPage: true });
  // Printing: one A4 page, without the site's header.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.topbar').isVisible(), false);
  const pdf = `${shots}/${label}-certificate.pdf`;
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  const text = readFileSync(pdf, 'latin1');
  assert.equal((text.match(/\/Type\s*\/Page[^s]/g) ?? []).length, 1, 'the certificate prints on one page');
  assert.ok(statSync(pdf).size > 1000);
  assert.deepEqual(errors, []);
  await context.close();

  // Anyone can verify it, without logging in, and a made-up number is plainly not genuine.
  const anon = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: 'zh-CN' });
  const p = await anon.newPage();
  await p.goto(`${base}/verify`);
  await p.fill('#verify-code', code.toLowerCase());
  await Promise.all([p.waitForURL(/code=/), p.click('form[action="/verify"] button')]);
  await p.locator('#verify-result', { hasText: '证书真实有效' }).waitFor();
  await p.locator('#verify-result', { hasText: '现场检查全过程' }).waitFor();
  await p.screenshot({ path: `${shots}/${label}-verify-375.png`, fullPage: true });
  await p.goto(`${base}/verify?code=AAAA-BBBB-CCCC`);
  await p.locator('#verify-result', { hasText: '证书不真实' }).waitFor();
  await anon.close();
});
