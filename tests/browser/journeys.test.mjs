// Browser journeys in Debian's chromium, driven by playwright-core (nothing downloads a browser).
// Run by scripts/test against a server on a fresh demo database: LIANBING_URL=http://127.0.0.1:PORT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, shots, label, launch, open as openWith, login, hydrated } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });
const open = (options) => openWith(browser, options);

test('the demo admin switches language, creates a unit and a user, and logs out; the user must change the password', async () => {
  const stamp = Date.now().toString(36).slice(-5).toUpperCase();
  const unitCode = `ZJ-HZ-T${stamp}`;
  const username = `officer.${stamp.toLowerCase()}`;
  const { context, page, errors } = await open();

  await login(page, 'admin', 'lianbing2026');
  await page.waitForURL(`${base}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.getByRole('heading', { name: '您好，省厅管理员' }).waitFor();

  // English, then back to Chinese.
  await page.click('form[action="/api/set_locale"] button');
  await page.getByRole('heading', { name: 'Hello, 省厅管理员' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.click('form[action="/api/set_locale"] button');
  await page.getByRole('heading', { name: '您好，省厅管理员' }).waitFor();

  // A new county-level unit under Hangzhou, through the hydrated form.
  await page.goto(`${base}/admin/units`);
  await hydrated(page);
  const hangzhou = await page.locator('#parent_id option', { hasText: '(ZJ-HZ)' }).getAttribute('value');
  await page.selectOption('#parent_id', hangzhou);
  await page.fill('#new_code', unitCode);
  await page.fill('#new_name', `测试分局${stamp}`);
  await page.click('text=创建单位');
  await page.getByText('单位已创建。').waitFor();
  await page.locator('.tree', { hasText: unitCode }).waitFor();
  await page.screenshot({ path: `${shots}/${label}-units-1280.png`, fullPage: true });

  // A new trainee in that unit.
  await page.goto(`${base}/admin/users/new`);
  await hydrated(page);
  await page.fill('#username', username);
  await page.fill('#display_name', `测试学员${stamp}`);
  const unitValue = await page.locator('#unit_id option', { hasText: `(${unitCode})` }).getAttribute('value');
  await page.selectOption('#unit_id', unitValue);
  await page.fill('#password', 'initial2026');
  await page.click('text=创建用户');
  await page.waitForURL(/\/admin\/users\?created=/);
  await page.getByText(`已创建用户 ${username}。`).waitFor();
  await page.locator('table', { hasText: `测试学员${stamp}` }).waitFor();

  await page.click('form[action="/api/logout"] button');
  await page.waitForURL(`${base}/login`);
  assert.deepEqual(errors, [], 'no page errors in the admin journey');
  await context.close();

  // The new user is sent to the password change before anything else.
  const second = await open({ width: 375 });
  await login(second.page, username, 'initial2026');
  await second.page.waitForURL(`${base}/account/password`);
  await second.page.getByText('请先设置只有您自己知道的新密码').waitFor();
  await second.page.goto(`${base}/`);
  await second.page.waitForURL(`${base}/account/password`);
  await second.page.screenshot({ path: `${shots}/${label}-password-375.png`, fullPage: true });
  // A weak password is refused with a reason; a good one opens the home page.
  await second.page.fill('#current', 'initial2026');
  await second.page.fill('#new_password', 'weakpassword');
  await second.page.fill('#confirm', 'weakpassword');
  await second.page.click('text=保存新密码');
  await second.page.getByText('密码须同时包含字母和数字。').waitFor();
  await second.page.fill('#current', 'initial2026');
  await second.page.fill('#new_password', 'mine2026ok');
  await second.page.fill('#confirm', 'mine2026ok');
  await second.page.click('text=保存新密码');
  await second.page.waitForURL(/\/\?password_changed=1$/);
  await second.page.getByText('我的学习').waitFor();
  await second.page.screenshot({ path: `${shots}/${label}-trainee-home-375.png`, fullPage: true });
  assert.deepEqual(second.errors, [], 'no page errors in the new user journey');
  await second.context.close();
});

test('with JavaScript disabled, login, a wrong password and a new unit all work through plain forms', async () => {
  const { context, page } = await open({ width: 375, javaScript: false });
  await login(page, 'admin', 'not-the-password1');
  await page.getByText('用户名或密码不正确。').waitFor();
  await login(page, 'admin', 'lianbing2026');
  await page.waitForURL(`${base}/`);
  await page.getByRole('heading', { name: '您好，省厅管理员' }).waitFor();

  const code = `ZJ-NB-J${Date.now().toString(36).slice(-4).toUpperCase()}`;
  await page.goto(`${base}/admin/units`);
  const ningbo = await page.locator('#parent_id option', { hasText: '(ZJ-NB)' }).getAttribute('value');
  await page.selectOption('#parent_id', ningbo);
  await page.fill('#new_code', code);
  await page.fill('#new_name', '无脚本分局');
  await Promise.all([page.waitForNavigation(), page.click('text=创建单位')]);
  assert.match(page.url(), /\/admin\/units\??$/);
  await page.locator('.tree', { hasText: code }).waitFor();
  // The menu folds into a details element that opens without JavaScript.
  await page.click('.nav-menu summary');
  await page.locator('.nav-menu nav a', { hasText: '人员' }).waitFor();
  await page.screenshot({ path: `${shots}/${label}-nojs-units-375.png`, fullPage: true });
  await context.close();
});

test('an admin writes a case study with live preview and publishes it; a trainee finds it by a Chinese word and reads it', async () => {
  const stamp = Date.now().toString(36).slice(-5);
  const title = `某钢铁厂烧结烟气旁路案${stamp}`;
  const admin = await open();
  const { page } = admin;
  await login(page, 'admin', 'lianbing2026');
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/admin/content`);
  await page.click('text=新建案例');
  await page.waitForURL(`${base}/admin/content/new/case`);
  await hydrated(page);
  await page.fill('#title', title);
  await page.fill('input[name=act_date]', '2026-09-18');
  await page.selectOption('select[name=industry]', 'steel');
  await page.fill('input[name=region]', '浙江省某市');
  await page.fill('input[name=violations]', 'V3');
  await page.fill('#basis', 'code 1108');
  await page.fill('#penalty', '罚款60万元，移送公安');
  await page.fill('#outcome', '已结案');
  await page.fill('#body', '## 案情\n\n夜间开启旁路挡板，烧结烟气走旁路直排，屏蔽挡板信号。\n\n| 时段 | 挡板开度 |\n|---|---|\n| 02:00 | 100% |');
  // The preview follows the typing without a page load.
  await page.locator('.preview h2', { hasText: '案情' }).waitFor();
  await page.locator('.preview table').waitFor();
  await page.screenshot({ path: `${shots}/${label}-editor-1280.png`, fullPage: true });
  await page.click('text=保存草稿');
  await page.waitForURL(/\/admin\/content\/case\/case-[0-9a-f]+\?saved=1$/);
  await page.getByText('已保存为新版本。').waitFor();
  await hydrated(page);
  await page.click('.actions button:has-text("发布")');
  await page.locator('.page-header .tag', { hasText: '已发布' }).waitFor();
  assert.deepEqual(admin.errors, [], 'no page errors while publishing');
  await admin.context.close();

  const trainee = await open({ width: 375 });
  await login(trainee.page, 'trainee', 'lianbing2026');
  await trainee.page.waitForURL(`${base}/`);
  await trainee.page.goto(`${base}/search?q=${encodeURIComponent('旁路挡板')}`);
  const hit = trainee.page.locator('.hit', { hasText: title });
  await hit.waitFor();
  assert.equal(await hit.locator('mark').first().textContent(), '旁路挡板');
  await trainee.page.screenshot({ path: `${shots}/${label}-search-375.png`, fullPage: true });
  await hit.locator('a').click();
  await trainee.page.waitForURL(/\/cases\/case-/);
  await trainee.page.getByRole('heading', { name: title }).waitFor();
  await trainee.page.locator('.prose table').waitFor();
  await trainee.page.getByText('《生态环境法典》第1108条').waitFor();
  await trainee.page.screenshot({ path: `${shots}/${label}-case-375.png`, fullPage: true });
  await trainee.page.goto(`${base}/cases`);
  await trainee.page.locator('.case-card', { hasText: title }).waitFor();
  await trainee.page.screenshot({ path: `${shots}/${label}-cases-375.png`, fullPage: true });
  assert.deepEqual(trainee.errors, [], 'no page errors while reading');
  await trainee.context.close();
});
