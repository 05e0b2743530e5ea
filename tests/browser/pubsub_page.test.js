// corio-pubsub's page in headless Chromium: it subscribes with
// EventSource, publishes through its form, and the message shows up in the
// list. Usage: node pubsub_page.test.js URL SCREENSHOT.png
'use strict';
const { chromium } = require('playwright-core');

async function main() {
  const [url, screenshot] = process.argv.slice(2);
  if (!url || !screenshot) {
    throw new Error('usage: node pubsub_page.test.js URL SCREENSHOT.png');
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'], // CI runs as root, where Chromium's sandbox cannot start
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('#state:text("subscribed")', { timeout: 10000 });
    const text = `hello from Chromium <b>${Date.now()}</b>`;
    await page.fill('#msg', text);
    await page.click('button[type=submit]');
    // the list shows the text as text (not markup), and the form says it went out
    const item = page.locator('#messages li', { hasText: text });
    await item.waitFor({ timeout: 10000 });
    await page.waitForSelector('#state:text("published #")', { timeout: 10000 });
    if ((await page.locator('#messages li b').count()) !== 0) {
      throw new Error('the message was inserted as HTML');
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`pubsub page: published and received "${text}"; screenshot ${screenshot}`);
  } finally {
    await browser.close();
  }
}

main().then(
  () => console.log('1 passed, 0 failed'),
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
