// Blind marking in chromium: an admin sets up a case-file stage with a panel of three examiners and a chief; the
// trainee writes the documents; each examiner marks the case file under its code (one on a phone), one of them far
// from the others, so the chief arbitrates; the admin publishes the results, the trainee is named 执法能手 on the
// public page, the results are locked, and the award certificate verifies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, shots, label, launch, login, hydrated } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function person(username, width = 1280) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await login(page, username);
  await page.waitForURL(`${base}/`);
  return { ctx, page, errors };
}

async function markAll(page, level) {
  await hydrated(page);
  const criteria = page.locator('#marking-form fieldset.criterion');
  const n = await criteria.count();
  assert.ok(n >= 3, `a rubric of ${n} criteria`);
  for (let i = 0; i < n; i++) {
    await criteria.nth(i).locator(`input[type=radio][value="${level}"]`).check();
  }
  // Each criterion saved as it was entered; then the sheet is locked.
  await page.click('#sheet-lock');
  await page.locator('#locked-note').waitFor();
}

test('three examiners mark a case file blind, the chief arbitrates, 执法能手 are named and a certificate verifies', async () => {
  const name = `案卷比武 ${label} ${Date.now() % 100000}`;
  const admin = await person('admin');
  const a = admin.page;
  await a.goto(`${base}/admin/competitions`);
  await hydrated(a);
  await a.fill('#competition-form input[name=name]', name);
  await Promise.all([a.waitForURL(/\/admin\/competitions\/\d+$/), a.click('#competition-form button[type=submit]')]);
  const competitionUrl = a.url();
  const id = competitionUrl.split('/').pop();
  await hydrated(a);
  await a.selectOption('#stage-form select[name=kind]', 'casefile');
  await a.fill('#stage-form input[name=title]', '案卷制作');
  await a.fill('#stage-form input[name=weight]', '100');
  await a.fill('#stage-form input[name=minutes]', '30');
  await a.click('#stage-form button[type=submit]');
  await a.locator('.stage h3', { hasText: '案卷制作' }).waitFor();
  await a.click('#advance');
  await a.locator('.steps-bar li.current', { hasText: '报名' }).waitFor();
  await a.fill('#enrol-lines', 'trainee');
  await a.click('#enrol-form button[type=submit]');
  await a.locator('#entrants tbody tr', { hasText: 'trainee' }).waitFor();

  const stage = a.locator('.stage', { hasText: '案卷制作' });
  await stage.locator('details.marking-config summary').click();
  await stage.locator('select[name=rubric]').selectOption('casefile-default');
  await stage.locator('input[name=divergence]').fill('10');
  await stage.locator('details.marking-config button[type=submit]').click();
  await a.locator('text=评分设置已保存').waitFor();
  await stage.locator('details.marking-panel summary').click();
  await stage.locator('textarea[name=examiners]').fill('examiner\nexaminer2\nexaminer3');
  await stage.locator('input[name=chief]').fill('chief');
  await stage.locator('details.marking-panel button[type=submit]').click();
  await stage.locator('text=周主考★').waitFor();
  await stage.locator('[data-test=open]').click();
  await stage.locator('[data-test=start]').click();
  await stage.locator('[data-test=close]').waitFor();

  // The trainee writes the case file and hands it in.
  const trainee = await person('trainee', 375);
  const t = trainee.page;
  await t.goto(`${base}/competitions`);
  await t.locator('.competition', { hasText: name }).locator('text=进入案卷制作').click();
  await t.waitForURL(/\/casefile\/\d+$/);
  await hydrated(t);
  const docs = t.locator('#casefile-form textarea');
  assert.equal(await docs.count(), 3);
  for (let i = 0; i < 3; i++) await docs.nth(i).fill(`文书${i + 1}：检查时间、地点、执法人员两人出示执法证件；发现的问题；依据《生态环境法典》第1108条。`);
  await t.screenshot({ path: `${shots}/${label}-casefile-375.png`, fullPage: false });
  await t.click('#casefile-submit');
  await t.locator('#casefile-done').waitFor();

  // The admin collects and assigns: three examiners from other provinces.
  await a.goto(competitionUrl);
  await hydrated(a);
  await stage.locator('[data-test=close]').click();
  await stage.locator('[data-test=assign]').waitFor();
  await stage.locator('[data-test=assign]').click();
  await stage.locator('text=/评分 0\\/3/').waitFor();

  // Each examiner sees a code, never the trainee's name; two mark high, one low.
  let code;
  for (const [username, level, width] of [['examiner', 3, 375], ['examiner2', 3, 1280], ['examiner3', 1, 1280]]) {
    const ex = await person(username, width);
    const p = ex.page;
    await p.goto(`${base}/marking`);
    const item = p.locator('#queue li a').first();
    code = (await item.locator('.code').innerText()).trim();
    assert.match(code, /^[A-Z2-9]{6}$/);
    await Promise.all([p.waitForURL(/\/marking\/\d+$/), item.click()]);
    const html = await p.content();
    assert.ok(!html.includes('李执法') && !html.includes('trainee'), 'the marking sheet names the candidate');
    await markAll(p, level);
    if (width === 375) await p.screenshot({ path: `${shots}/${label}-marking-375.png`, fullPage: true });
    assert.deepEqual(ex.errors, []);
    await ex.ctx.close();
  }

  // The chief sees the divergence and each examiner's severity, and sets the score.
  const chief = await person('chief');
  const c = chief.page;
  await c.goto(`${base}/marking`);
  await Promise.all([c.waitForURL(/\/marking\/stages\/\d+$/), c.click('a:has-text("案卷制作")')]);
  await hydrated(c);
  const row = c.locator(`#row-${code}`);
  await row.locator('text=待仲裁').waitFor();
  assert.equal(await c.locator('#examiner-stats tbody tr').count(), 3);
  await row.locator('input[name=score]').fill('85');
  await row.locator('input[name=reason]').fill('两名考官意见一致，第三名考官对询问笔录要求过严');
  await row.locator('button[type=submit]').click();
  await c.locator(`#row-${code}`, { hasText: '已定分' }).waitFor();
  await c.screenshot({ path: `${shots}/${label}-chief-1280.png`, fullPage: true });
  assert.deepEqual(chief.errors, []);
  await chief.ctx.close();

  // Results: the trainee is top; publishing names them on the public page; locking issues the certificate.
  await a.goto(`${base}/admin/competitions/${id}/results`);
  await hydrated(a);
  await a.locator('#results-table tbody tr', { hasText: '李执法' }).waitFor();
  await a.click('#publish');
  await a.locator('#finalize').waitFor();
  const anon = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: 'zh-CN' });
  const pub = await anon.newPage();
  await pub.goto(`${base}/results/${id}`);
  await pub.locator('#champions', { hasText: '李执法' }).waitFor();
  await pub.screenshot({ path: `${shots}/${label}-results-public-375.png`, fullPage: true });
  await a.click('#finalize');
  await a.locator('text=已终审，证书已颁发').waitFor();
  await a.screenshot({ path: `${shots}/${label}-results-admin-1280.png`, fullPage: true });

  await t.goto(`${base}/competitions`);
  const cert = t.locator('.competition', { hasText: name }).locator('a.cert-link', { hasText: '执法能手' });
  await Promise.all([t.waitForURL(/\/awards\//), cert.click()]);
  const awardCode = (await t.locator('#award-code').innerText()).trim();
  await t.screenshot({ path: `${shots}/${label}-award-375.png`, fullPage: true });
  await pub.goto(`${base}/verify?code=${awardCode}`);
  await pub.locator('#verify-result', { hasText: '证书真实有效' }).waitFor();
  await pub.locator('#verify-result', { hasText: '执法能手' }).waitFor();

  assert.deepEqual(admin.errors, []);
  assert.deepEqual(trainee.errors, []);
  await anon.close();
  await admin.ctx.close();
  await trainee.ctx.close();
});
