// The scenario player in chromium: a practice run through the starter scenario to the debrief with JavaScript,
// and one step played with JavaScript off. Options appear in a per-attempt order under position keys, so the
// journey reads the page as a trainee does; it never knows the answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { base, shots, label, launch, open as openWith, login as loginAs, hydrated } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });
const open = (options) => openWith(browser, options);

async function login(page, username) {
  await loginAs(page, username);
  await page.waitForURL(`${base}/`);
}

/** Answers the current step the way a hurried trainee might: the first option, the first two boxes, a short
 *  record, a fine. */
async function answer(page) {
  const step = page.locator('#step');
  if (await step.locator('input[type=radio]').count()) {
    await step.locator('input[type=radio]').first().check();
  } else if (await step.locator('input[type=checkbox]').count()) {
    const boxes = step.locator('input[type=checkbox]');
    await boxes.nth(0).check();
    if (await boxes.count() > 1) await boxes.nth(1).check();
  } else if (await step.locator('textarea').count()) {
    await step.locator('textarea').fill('2026年10月13日22时，执法人员两名出示执法证件，告知陈述申辩权利，现场检查1#炉CEMS站房，当事人签字确认。');
  } else {
    await step.locator('#amount').fill('20万');
  }
}

/** The model path of a scenario file, worked out by the test itself from the content (the page never says). */
function modelPath(file) {
  const s = parse(readFileSync(file, 'utf8'));
  const endings = new Set(s.ending.map((e) => e.id));
  const sum = (score = {}) => Object.values(score).reduce((a, b) => a + b, 0);
  const memo = new Map();
  const best = (id) => {
    if (endings.has(id)) return 0;
    if (memo.has(id)) return memo.get(id).points;
    const step = s.step.find((x) => x.id === id);
    let found = { points: -1 };
    if (step.kind === 'choice') {
      for (const c of step.choice.filter((c) => !c.critical)) {
        const points = sum(c.score) + best(c.next);
        if (points > found.points) found = { points, choice: c };
      }
    } else {
      const here = step.kind === 'multi' ? step.choice.filter((c) => sum(c.score) > 0).reduce((a, c) => a + sum(c.score), 0)
        : step.kind === 'review' ? step.finding.reduce((a, f) => a + sum(f.score), 0)
        : step.kind === 'record' ? step.element.reduce((a, e) => a + e.score, 0)
        : step.score;
      found = { points: here + best(step.next) };
    }
    memo.set(id, found);
    return found.points;
  };
  best(s.start);
  return { s, memo };
}

/** Whether a page's option text is the file's text with its {{slot.var}} placeholders filled in. */
function same(template, shown) {
  let at = 0;
  for (const part of template.split(/\{\{[^}]+\}\}/)) {
    const i = shown.indexOf(part, at);
    if (i < 0) return false;
    at = i + part.length;
  }
  return true;
}

/** Answers the current step as the model path does, finding options by their text. */
async function answerModel(page, model) {
  const step = page.locator('#step');
  const id = await step.getAttribute('data-step');
  const st = model.s.step.find((x) => x.id === id);
  const options = step.locator('label.option');
  const texts = await options.allInnerTexts();
  const tick = async (template) => {
    const i = texts.findIndex((t) => same(template, t));
    assert.ok(i >= 0, `no option shows "${template}" at ${id}`);
    await options.nth(i).locator('input').check();
  };
  const sum = (score = {}) => Object.values(score).reduce((a, b) => a + b, 0);
  if (st.kind === 'choice') await tick(model.memo.get(id).choice.text);
  else if (st.kind === 'multi') for (const c of st.choice.filter((c) => sum(c.score) > 0)) await tick(c.text);
  else if (st.kind === 'review') for (const f of st.finding) await tick(f.text);
  else if (st.kind === 'record') await step.locator('textarea').fill(st.element.map((e) => e.keywords[0]).join('；'));
  else await step.locator('#amount').fill(String(Math.round((st.expected_min + st.expected_max) / 2)));
  return id;
}

test('a trainee practises the starter scenario: feedback after each step, an anomaly marked on the chart, a debrief with a radar', async () => {
  const { context, page, errors } = await open();
  await login(page, 'trainee');
  await page.goto(`${base}/scenarios`);
  await page.click('#industry-thermal_power a[href="/scenarios/thermal-cems-tamper"]');
  await page.getByRole('button', { name: '开始练习' }).waitFor();
  await hydrated(page);
  await page.screenshot({ path: `${shots}/${label}-scenario-brief-1280.png`, fullPage: true });
  await Promise.all([page.waitForURL(/\/attempts\/\d+$/), page.click('#start-practice')]);
  await page.locator('#step').waitFor();
  await hydrated(page);
  const attemptUrl = page.url();

  // The console draws the monitoring data with its limit; mark the 3 September night as anomalous.
  const chart = page.locator('.chart svg').first();
  await chart.waitFor();
  assert.equal(await page.locator('.chart-limit').count() > 0, true);
  const mark = page.locator('.mark-form').first();
  await mark.locator('select[name=from]').selectOption({ label: '09-03 00:00' });
  await mark.locator('select[name=to]').selectOption({ label: '09-03 05:00' });
  await mark.locator('button').click();
  await page.locator('.marks .tag', { hasText: '09-03 00:00 – 09-03 05:00' }).waitFor();
  assert.equal(await page.locator('.chart-mark').count(), 1);
  await page.screenshot({ path: `${shots}/${label}-scenario-step-1280.png`, fullPage: true });

  const model = modelPath('content/scenarios/thermal-cems-tamper.toml');
  const seen = [];
  for (let i = 0; i < 30 && !(await page.locator('#debrief').count()); i++) {
    const id = await answerModel(page, model);
    seen.push(id);
    await page.click('#step-submit');
    // Practice mode: the next screen carries the feedback on this step (or the debrief after the last one).
    await page.waitForFunction((prev) => {
      const s = document.querySelector('#step');
      return document.querySelector('#debrief') || (s && s.getAttribute('data-step') !== prev && document.querySelector('#feedback'));
    }, id);
    if (await page.locator('#feedback').count()) {
      assert.equal(await page.locator('#feedback .verdict-bad, #feedback .verdict-critical, #feedback .verdict-missed').count(), 0, `feedback at ${id}`);
    }
    if (i === 0) {
      await page.locator('#feedback .verdict-good .basis').first().waitFor();
      await page.screenshot({ path: `${shots}/${label}-scenario-feedback-1280.png`, fullPage: true });
    }
  }
  assert.ok(seen.length >= 10, `took ${seen.join(',')}`);
  await page.locator('#debrief').waitFor();
  // The model path, played through the page, earns full marks and reaches the model ending.
  assert.equal(await page.locator('#final-score').innerText(), '100 / 100');
  await page.getByText('示范结局').waitFor();
  assert.equal(await page.locator('svg.radar polygon.radar-mine').count(), 1);
  assert.ok(await page.locator('.path-row').count() >= seen.length);
  // The debrief reveals the known anomalies next to the trainee's mark, and the mark found one.
  assert.ok(await page.locator('.chart-anomaly').count() > 0);
  await page.getByText(/找到 1 段异常/).waitFor();
  await page.screenshot({ path: `${shots}/${label}-scenario-debrief-1280.png`, fullPage: true });

  // The catalogue counts the finished attempt and shows the best score.
  await page.goto(`${base}/scenarios`);
  await page.locator('#industry-thermal_power .tag-ok', { hasText: '最好' }).waitFor();
  await page.locator('.table a', { hasText: '某热电公司' }).first().waitFor();
  assert.equal(new URL(await page.locator('.table a').first().getAttribute('href'), base).href, attemptUrl);
  assert.deepEqual(errors, []);
  await context.close();
});

test('with JavaScript off, a trainee starts an exam-mode attempt, a bad submission is explained, a step is taken, and leaving and coming back resumes it', async () => {
  const { context, page } = await open({ width: 375, javaScript: false });
  await login(page, 'trainee');
  await page.goto(`${base}/scenarios/thermal-cems-tamper`);
  await Promise.all([page.waitForURL(/\/attempts\/\d+$/), page.click('#start-exam')]);
  const url = page.url();
  await page.locator('#time-left').waitFor();
  const first = await page.locator('#step').getAttribute('data-step');
  // Submitting nothing is refused with a message, not an error page. (The radio is required; remove that so
  // the server's own check is what answers.)
  await page.evaluate(() => {}).catch(() => {});
  await page.locator('#step-form').evaluate((f) => f.setAttribute('novalidate', ''));
  await Promise.all([page.waitForNavigation(), page.click('#step-submit')]);
  await page.getByText('请选择一项。').waitFor();
  assert.equal(await page.locator('#step').getAttribute('data-step'), first);
  await page.screenshot({ path: `${shots}/${label}-scenario-nojs-error-375.png`, fullPage: true });

  await answer(page);
  await Promise.all([page.waitForNavigation(), page.click('#step-submit')]);
  const second = await page.locator('#step').getAttribute('data-step');
  assert.notEqual(second, first);
  // Exam mode: no feedback and no score on the way.
  assert.equal(await page.locator('#feedback').count(), 0);
  assert.equal(await page.locator('#running-score').count(), 0);
  await page.screenshot({ path: `${shots}/${label}-scenario-nojs-exam-375.png`, fullPage: true });

  // Closing the browser and coming back resumes at the same step.
  const cookies = await context.cookies();
  await context.close();
  const again = await browser.newContext({ viewport: { width: 375, height: 900 }, locale: 'zh-CN', javaScriptEnabled: false });
  await again.addCookies(cookies);
  const page2 = await again.newPage();
  await page2.goto(`${base}/scenarios`);
  const item = page2.locator('.scenario-item', { has: page2.locator('a[href="/scenarios/thermal-cems-tamper"]') });
  await item.locator('a.tag-warn', { hasText: '继续作答' }).click();
  await page2.waitForURL(url);
  assert.equal(await page2.locator('#step').getAttribute('data-step'), second);
  await again.close();
});
