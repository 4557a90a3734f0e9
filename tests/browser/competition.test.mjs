// A competition in chromium: an admin sets up a theory stage and enrols the demo trainee; the trainee waits in the
// waiting room, the admin starts the exam, the paper appears by itself; answers save as they are given, an answer
// given offline is kept and sent when the network returns, a reload resumes, a second login takes over (the first
// page is told), the trainee hands in; the admin ends the stage, reads the item analysis and releases results,
// and the trainee sees the score.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, shots, label, launch, login, hydrated } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function context(width = 1280) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // A refused save (taken over) logs a failed request; that is the behaviour under test, not an error.
    if (m.type() === 'error' && !/status of 409/.test(m.text())) errors.push(m.text());
  });
  return { ctx, page, errors };
}

const status = (page) => page.locator('#exam-status');

test('a theory exam from waiting room to released result, with autosave, offline answers and a takeover', async () => {
  const name = `浏览器测试比武 ${label} ${Date.now() % 100000}`;
  const admin = await context();
  const a = admin.page;
  await login(a, 'admin');
  await a.waitForURL(`${base}/`);
  await a.goto(`${base}/admin/competitions`);
  await hydrated(a);
  await a.fill('#competition-form input[name=name]', name);
  await a.selectOption('#competition-form select[name=level]', 'provincial');
  await Promise.all([a.waitForURL(/\/admin\/competitions\/\d+$/), a.click('#competition-form button[type=submit]')]);
  const competitionUrl = a.url();
  await hydrated(a);

  await a.fill('#stage-form input[name=title]', '理论考试');
  await a.fill('#stage-form input[name=minutes]', '10');
  await a.fill('#stage-form input[name="bp[count0]"]', '4');
  await a.fill('#stage-form input[name="bp[count1]"]', '2');
  await a.fill('#stage-form input[name="bp[count2]"]', '2');
  await a.selectOption('#stage-form select[name=rule]', 'half_if_subset');
  await a.click('#stage-form button[type=submit]');
  await a.locator('.stage h3', { hasText: '理论考试' }).waitFor();
  await a.click('#advance');
  await a.locator('.steps-bar li.current', { hasText: '报名' }).waitFor();
  await a.fill('#enrol-lines', 'trainee');
  await a.click('#enrol-form button[type=submit]');
  await a.locator('#entrants tbody tr', { hasText: 'trainee' }).waitFor();
  await a.click('.stage [data-test=open]');
  await a.locator('.stage [data-test=start]').waitFor();
  await a.screenshot({ path: `${shots}/${label}-competition-admin-1280.png`, fullPage: true });

  // The trainee finds the competition and enters the waiting room.
  const trainee = await context(375);
  const t = trainee.page;
  await login(t, 'trainee');
  await t.waitForURL(`${base}/`);
  await t.goto(`${base}/competitions`);
  const card = t.locator('.competition', { hasText: name });
  await card.locator('text=进入考场').click();
  await t.waitForURL(/\/exam\/\d+$/);
  const examUrl = t.url();
  await t.locator('#waiting-room').waitFor();
  await t.screenshot({ path: `${shots}/${label}-exam-waiting-375.png`, fullPage: true });

  // The admin starts; the waiting room notices and the paper appears without touching the page.
  await a.click('.stage [data-test=start]');
  await a.locator('.stage [data-test=close]').waitFor();
  await t.locator('#exam-form').waitFor({ timeout: 20000 });
  const questions = t.locator('#exam-form fieldset.exam-q');
  assert.equal(await questions.count(), 8);
  assert.match(await t.locator('#exam-timer').innerText(), /^(09|10):\d\d$/);

  // An answer saves as it is given.
  await questions.nth(0).locator('input').first().check();
  await status(t).filter({ hasText: '已保存' }).waitFor();
  await t.screenshot({ path: `${shots}/${label}-exam-paper-375.png`, fullPage: false });

  // Offline: the answer is kept on the device and the page says so; back online it is sent.
  await trainee.ctx.setOffline(true);
  await questions.nth(1).locator('input').nth(1).check();
  await status(t).filter({ hasText: '网络中断' }).waitFor();
  await t.screenshot({ path: `${shots}/${label}-exam-offline-375.png`, fullPage: false });
  await trainee.ctx.setOffline(false);
  await t.evaluate(() => window.dispatchEvent(new Event('online')));
  await status(t).filter({ hasText: '已保存' }).waitFor({ timeout: 20000 });
  assert.equal(await t.locator('#nav1.answered').count(), 1);

  // A reload resumes: both answers are there, and the clock did not restart.
  await t.reload();
  await t.locator('#exam-form').waitFor();
  assert.equal(await questions.nth(0).locator('input:checked').count(), 1);
  assert.equal(await questions.nth(1).locator('input:checked').count(), 1);

  // A second login takes the exam over; the first page is told and stops saving.
  const second = await context(1280);
  const s = second.page;
  await login(s, 'trainee');
  await s.waitForURL(`${base}/`);
  await s.goto(examUrl);
  await s.locator('#exam-form').waitFor();
  await questions.nth(2).locator('input').first().check();
  await status(t).filter({ hasText: '另一处' }).waitFor();
  assert.equal(await t.locator('#exam-form input[type=radio]:not([disabled])').count(), 0);
  await t.screenshot({ path: `${shots}/${label}-exam-taken-over-375.png`, fullPage: false });

  // The second page carries the answers and hands in.
  const secondQuestions = s.locator('#exam-form fieldset.exam-q');
  assert.equal(await secondQuestions.nth(1).locator('input:checked').count(), 1);
  await secondQuestions.nth(3).locator('input').first().check();
  await s.locator('#exam-status').filter({ hasText: '已保存' }).waitFor();
  await s.screenshot({ path: `${shots}/${label}-exam-paper-1280.png`, fullPage: true });
  s.once('dialog', (d) => d.accept());
  await s.click('#submit-exam');
  await s.locator('#exam-done').waitFor();
  await s.locator('text=成绩由主办单位统一发布').waitFor();

  // The admin ends the stage, reads the item analysis and releases the results.
  await a.goto(competitionUrl);
  await hydrated(a);
  await a.click('.stage [data-test=close]');
  await a.locator('.stage [data-test=release]').waitFor();
  await a.click('.stage [data-test=release]');
  await a.locator('.stage .tag-ok', { hasText: '成绩已发布' }).waitFor();
  await a.click('.stage a:has-text("试题分析")');
  await a.waitForURL(/\/admin\/stages\/\d+\/stats$/);
  await a.locator('#item-stats tbody tr').first().waitFor();
  assert.equal(await a.locator('#item-stats tbody tr').count(), 8);
  await a.screenshot({ path: `${shots}/${label}-competition-stats-1280.png`, fullPage: true });

  await s.goto(`${base}/competitions`);
  await s.locator('.competition', { hasText: name }).locator('.score').waitFor();
  assert.match(await s.locator('.competition', { hasText: name }).locator('.score').innerText(), /成绩 [\d.]+ \/ 10/);
  await s.screenshot({ path: `${shots}/${label}-competitions-1280.png`, fullPage: true });

  assert.deepEqual(admin.errors, []);
  assert.deepEqual(trainee.errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e)), []);
  assert.deepEqual(second.errors, []);
  await admin.ctx.close();
  await trainee.ctx.close();
  await second.ctx.close();
});
