// reload-browser.test.mjs - the reload of reload.test.mjs in a real
// browser (Debian's Chromium, driven by playwright-core): a page with
// `persist: true` is reloaded while the server streams pushes to it; the
// new page resumes the session, and the pushes the two pages handled are
// every one, once, in order. The page is static/reload.html, served by
// the chaos server. Skipped when there is no Chromium (CHROMIUM names
// another binary).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT, metric, metrics, startServer } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);

let server;
let browser;
before(async () => {
  if (!haveChromium)
    return;
  const { chromium } = await import('playwright-core');
  server = await startServer({ LV_TEST_STATIC: path.join(ROOT, 'tests', 'chaos', 'static') });
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('Chromium: a reload mid-stream resumes the session; every push handled once, in order',
  { skip: haveChromium ? false : `no Chromium at ${CHROMIUM}`, timeout: 60000 }, async () => {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(`${server.httpUrl}/reload.html`);
    await page.waitForFunction(() => window.connected === true);
    const session = await page.evaluate(async () => {
      await window.lvConn.call('reset', {});
      for (let n = 0; n < 50; n++)
        window.up(n);
      await window.lvConn.call('start_down', { total: 400, chunk: 5, every_ms: 5 });
      return window.lvConn.session;
    });
    await page.waitForFunction(() => window.got.length > 100);
    const m0 = await metrics(server);
    await page.reload();
    await page.waitForFunction(() => window.connected === true);
    assert.equal(await page.evaluate(() => window.lvConn.session), session,
      'the reloaded page did not resume the session');
    await page.waitForFunction(() => window.got.length >= 400, undefined, { timeout: 20000 });
    await page.waitForTimeout(100);
    const got = await page.evaluate(() => window.got);
    assert.deepEqual(got, Array.from({ length: 400 }, (_, i) => i));
    const r = await page.evaluate(async () => {
      for (let n = 50; n < 100; n++)
        window.up(n);
      return window.lvConn.call('report', {});
    });
    assert.equal(r.ups, 100);
    assert.equal(r.up_dups + r.up_gaps, 0);
    assert.deepEqual(await page.evaluate(() => window.resyncs), []);
    assert.deepEqual(errors, []);
    const m1 = await metrics(server);
    assert.equal(metric(m1, 'lv_resumed_total'), metric(m0, 'lv_resumed_total') + 1);
    await page.close();
  });
