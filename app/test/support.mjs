/** What the app's browser tests share: headless Chromium (Debian's package, playwright-core) and the app's own activation walk. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const APP_DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url));
export const DESKTOP = { width: 1280, height: 860 };
export const WAIT = { timeout: 90_000 };
// The gateways serve HTTPS from this run's fresh hospital TLS CAs (data/tls-ca.pem); a person's browser
// trusts them once that file is imported, which a throwaway headless profile cannot do: it is told to.
// The TLS checks themselves are tested in gateway/test/http/tls.test.ts.
export const CONTEXT = { viewport: DESKTOP, ignoreHTTPSErrors: true };

/** Why this file's browser walk cannot run here (a skip or a failure, said by `t`), or undefined when it can. */
export function cannotRun(t) {
  if (!existsSync(CHROMIUM)) {
    if (process.env.MEDREC_REQUIRE_CHROMIUM) t.fail(`headless Chromium is required here but ${CHROMIUM} does not exist`);
    else t.plan(0, `app e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it)`);
    return true;
  }
  if (!existsSync(APP_DIST)) {
    t.fail('the app is not built: run `npm run build` at the repository root');
    return true;
  }
  return false;
}

/** A fresh browser (its own profile), kept in `browsers` for the teardown to close. */
export async function launch(browsers) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  browsers.push(browser);
  return browser;
}

/** Activation through the app: the code, the phrase written down and three words asked back, a passphrase. Returns the phrase. */
export async function activateInApp(page, base, code, passphrase) {
  await page.goto(`${base}/app/activate`);
  await page.getByLabel('Activation code from your registrar').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Your recovery phrase' }).waitFor(WAIT);
  const words = await page.locator('ol.phrase li').allTextContents();
  await page.getByRole('button', { name: 'I have written them down' }).click();
  for (const label of await page.locator('label[for^="word-"]').allTextContents()) {
    await page.getByLabel(label, { exact: true }).fill(words[Number(label.replace('Word ', '')) - 1]);
  }
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByLabel('Device passphrase (at least 8 characters)').fill(passphrase);
  await page.getByLabel('Device passphrase again').fill(passphrase);
  await page.getByRole('button', { name: 'Create my key' }).click();
  return words.join(' ');
}
