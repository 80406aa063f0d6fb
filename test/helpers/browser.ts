import { chromium, type Browser } from 'playwright-core'
import type { Test } from 'tap'

/** Debian's Chromium, headless, with the flags this machine needs; closed with the test. */
export async function launchBrowser (t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
  })
  t.teardown(() => browser.close())
  return browser
}
