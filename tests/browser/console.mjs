// Drives Debian's Chromium (playwright-core, no browser download) through the hub's
// console as an operator and as a practice user. Started by
// tests/tests/console_browser.rs, which sets up the hub, the sandbox EHR and the jobs,
// and passes them in the environment:
//   HUB_URL, SANDBOX_URL, SHOTS (screenshot directory), CHROMIUM (browser binary),
//   OPERATOR / OPERATOR_PASSWORD, PRACTICE_USER / PRACTICE_PASSWORD,
//   FAILED_JOB (east, failed by a sandbox fault), CANCEL_JOB and CSRF_JOB (east,
//   waiting), OTHER_JOB (west).
// Each step prints one line `step: NAME ok`; any failure exits non-zero with the reason.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const env = process.env;
const need = (k) => {
  if (!env[k]) throw new Error(`${k} is not set (run through cargo test -p ehr-e2e --test console_browser)`);
  return env[k];
};
const hub = need('HUB_URL');
const shots = need('SHOTS');
mkdirSync(shots, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function shot(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function login(page, name, password) {
  await page.goto(`${hub}/console`);
  check(page.url().endsWith('/console/login'), `not signed in goes to the login page (at ${page.url()})`);
  await page.fill('#name', name);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  // ---- The operator, on a desktop-sized window.
  const desk = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await desk.newPage();
  await login(page, need('OPERATOR'), 'not the password at all');
  check((await page.textContent('#login-problem')).includes('not right'), 'a wrong password is refused in words');
  await shot(page, '01-login-refused');
  await login(page, need('OPERATOR'), need('OPERATOR_PASSWORD'));
  check(new URL(page.url()).pathname === '/console', `the operator lands on the overview (at ${page.url()})`);
  const cookies = await desk.cookies();
  const session = cookies.find((c) => c.name === 'ehr_console');
  check(session && session.httpOnly && session.secure && session.sameSite === 'Strict', `session cookie attributes: ${JSON.stringify(session)}`);
  check(await page.isVisible('#practice-east'), 'the overview lists practice east');
  check(await page.isVisible('#practice-west'), 'the overview lists practice west');
  await shot(page, '02-overview');
  console.log('step: login ok');

  // The failed job's reason in the pending jobs banner.
  const failed = need('FAILED_JOB');
  await page.goto(`${hub}/console/practices/east`);
  const item = page.locator(`#banner li[data-job="${failed}"]`);
  check(await item.count() === 1, 'the failed job is in the banner');
  const reason = await item.locator('.reason').textContent();
  check(/permission/i.test(reason), `the banner gives the failure's reason (got: ${reason})`);
  await shot(page, '03-failed-banner');
  await page.click(`#banner li[data-job="${failed}"] a[href="/console/jobs/${failed}"]`);
  check(await page.getAttribute('#result', 'class') === 'result red', 'the failed job is red');
  check(/permission/i.test(await page.textContent('#remediation')), 'the job page shows the remediation');
  check(await page.locator('#attempts tr.attempt').count() >= 1, 'the job page lists its attempts');
  await shot(page, '04-failed-job');
  console.log('step: failed-reason ok');

  // Fix the sandbox, press Retry in the banner, watch the job be written.
  const fixed = await fetch(`${need('SANDBOX_URL')}/_sandbox/faults`, { method: 'DELETE' });
  check(fixed.ok, `the sandbox fault is cleared (${fixed.status})`);
  await page.goto(`${hub}/console/practices/east`);
  await Promise.all([page.waitForNavigation(), page.click(`#banner li[data-job="${failed}"] button.retry`)]);
  check(new URL(page.url()).pathname === `/console/jobs/${failed}`, `Retry leads to the job (at ${page.url()})`);
  let cls = '';
  for (let i = 0; i < 120; i++) {
    cls = await page.getAttribute('#result', 'class');
    if (cls !== 'result grey') break;
    await page.waitForTimeout(500);
    await page.reload();
  }
  // Green: written; blue: written with warnings (this snapshot has fields the sandbox's
  // template skips, so blue is what a correct write shows). Either is the job landing.
  const text = (await page.textContent('#result')).trim();
  check(['result green', 'result blue'].includes(cls) && text.startsWith('succeeded'),
    `the retried job was written (class: ${cls}, text: ${text})`);
  check(await page.locator('#report tr.field').count() > 0, 'the written job shows its per-field report');
  check(await page.locator('#attempts tr.attempt').count() >= 2, 'both attempts are listed with their transaction ids');
  await shot(page, '05-retried-green');
  console.log('step: retry-green ok');

  // Cancel a waiting job: the X asks to confirm first.
  const cancel = need('CANCEL_JOB');
  await page.goto(`${hub}/console/jobs/${cancel}`);
  await Promise.all([page.waitForNavigation(), page.click('a.x')]);
  check(new URL(page.url()).pathname === `/console/jobs/${cancel}/cancel`, 'the X opens the confirm step');
  await shot(page, '06-cancel-confirm');
  await Promise.all([page.waitForNavigation(), page.click('#confirm-cancel')]);
  check((await page.textContent('#result')).trim() === 'cancelled', 'the job is cancelled once confirmed');
  await shot(page, '07-cancelled');
  console.log('step: cancel ok');

  // CSRF: the same session posting without (or with a wrong) token is refused.
  const csrfJob = need('CSRF_JOB');
  for (const form of [{}, { csrf: 'forged' }]) {
    const r = await desk.request.post(`${hub}/console/jobs/${csrfJob}/cancel`, { form, maxRedirects: 0 });
    check(r.status() === 403, `a POST without the session's CSRF token is refused (got ${r.status()})`);
    check((await r.text()).includes('Nothing was done'), 'the refusal says nothing was done');
  }
  await page.goto(`${hub}/console/jobs/${csrfJob}`);
  check((await page.textContent('#result')).trim() === 'pending', 'the job is untouched');
  console.log('step: csrf ok');

  // Log out: the session is gone.
  await Promise.all([page.waitForNavigation(), page.click('nav button[type=submit]')]);
  await page.goto(`${hub}/console/jobs/${csrfJob}`);
  check(page.url().endsWith('/console/login'), 'after logout the console asks to log in');
  console.log('step: logout ok');

  // ---- A practice user, on a phone.
  const phone = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p2 = await phone.newPage();
  await login(p2, need('PRACTICE_USER'), need('PRACTICE_PASSWORD'));
  check(new URL(p2.url()).pathname === '/console/practices/west', `the practice user lands on their practice (at ${p2.url()})`);
  check(await p2.locator(`tr.job[data-job="${need('OTHER_JOB')}"]`).count() === 1, 'they see their own job');
  const wide = await p2.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390 + 1, `the practice page fits the phone's width (${wide}px)`);
  await shot(p2, '08-practice-user-phone');
  const r = await p2.goto(`${hub}/console/jobs/${failed}`);
  check(r.status() === 403, `another practice's job is refused (got ${r.status()})`);
  check((await p2.textContent('main')).includes('another practice'), 'the refusal says why in plain words');
  await shot(p2, '09-other-practice-refused');
  const r2 = await p2.goto(`${hub}/console/practices/east`);
  check(r2.status() === 403, `another practice's page is refused (got ${r2.status()})`);
  const r3 = await p2.goto(`${hub}/console`);
  check(r3.status() === 200 && !(await p2.isVisible('#practice-east')), 'the overview shows their practice only');
  console.log('step: practice-user ok');
} finally {
  await browser.close();
}
console.log('all steps passed');
