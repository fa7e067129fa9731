// Drives kith's OAuth sign-in and consent pages in Debian's headless
// Chromium through playwright-core, the way a person on a phone would:
// JavaScript off, a 375x667 viewport. Called by test_oauth_browser.py,
// which starts the daemon, registers the application and serves the
// loopback redirect URI; the settings come in environment variables.
//
// The flow: a wrong password (the error is shown, still the sign-in page),
// the right one, Deny (back to the client with error=access_denied and the
// state), then again and Authorize (back with a code and the state), the
// code exchanged with its PKCE verifier for a token, and verify_credentials
// with it. On every page: no horizontal scrolling, a heading, labelled
// fields. Prints one JSON line of what it saw; exits 1 with the reason on
// the first failed check.
import { createHash, randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('KITH_URL');
const clientId = env('CLIENT_ID');
const clientSecret = env('CLIENT_SECRET');
const redirectUri = env('REDIRECT_URI');
const login = env('LOGIN');
const password = env('PASSWORD');
const appName = env('APP_NAME');

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const base64url = (bytes) => bytes.toString('base64url');
const verifier = base64url(randomBytes(48));
const challenge = base64url(createHash('sha256').update(verifier).digest());

function authorizeUrl(state) {
  const query = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri,
    scope: 'read write follow push', state, code_challenge: challenge,
    code_challenge_method: 'S256', lang: 'en',
  });
  return `${base}/oauth/authorize?${query}`;
}

// The page fits the phone's width: nothing wider than the viewport. Read
// from the layout through the DevTools protocol, since page scripts are off.
async function checkFitsWidth(page, what) {
  const width = page.viewportSize().width;
  for (const selector of ['html', 'body', 'main', 'form', 'h1']) {
    const box = await page.locator(selector).first().boundingBox();
    if (!box) continue;
    check(box.x >= 0 && box.x + box.width <= width + 0.5,
          `${what}: <${selector}> spans ${box.x}..${box.x + box.width}, wider than ${width}px`);
  }
  const cdp = await page.context().newCDPSession(page);
  const metrics = await cdp.send('Page.getLayoutMetrics');
  await cdp.detach();
  check(metrics.cssContentSize.width <= width + 0.5,
        `${what}: the document is ${metrics.cssContentSize.width}px wide on a ${width}px screen`);
}

async function signIn(page, state, secret) {
  await page.goto(authorizeUrl(state));
  check(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible(),
        'no "Sign in" heading');
  await page.getByLabel('Username or e-mail address').fill(login);
  await page.getByLabel('Password').fill(secret);
  await Promise.all([page.waitForLoadState('load'),
                     page.getByRole('button', { name: 'Sign in' }).click()]);
}

const seen = {};
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  // As root Chromium refuses its sandbox; /dev/shm is small in containers.
  args: process.getuid && process.getuid() === 0
    ? ['--no-sandbox', '--disable-dev-shm-usage'] : ['--disable-dev-shm-usage'],
});
try {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: 375, height: 667 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    locale: 'en-US',
  });
  const page = await context.newPage();
  const scripts = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(request.url());
  });

  // 1. A wrong password: the error is shown, tied to the fields.
  await signIn(page, 'first', 'not the password');
  check(new URL(page.url()).pathname === '/oauth/authorize', `left the page: ${page.url()}`);
  const alert = page.getByRole('alert');
  check((await alert.textContent()).includes('wrong'), 'no error message after a wrong password');
  const passwordField = page.getByLabel('Password');
  check(await passwordField.getAttribute('aria-invalid') === 'true', 'password not marked invalid');
  check(await passwordField.getAttribute('aria-describedby') === await alert.getAttribute('id'),
        'the error is not tied to the password field');
  check(await page.getByLabel('Username or e-mail address').inputValue() === login,
        'the login was not kept');
  await checkFitsWidth(page, 'sign-in page with an error');
  seen.wrong_password = 'error shown';

  // 2. The right password, then Deny.
  await signIn(page, 'deny-state', password);
  check(await page.getByRole('heading', { level: 1, name: `Authorize ${appName}?` }).isVisible(),
        `no consent heading on ${page.url()}`);
  const scopes = await page.getByRole('listitem').allTextContents();
  check(scopes.length === 4 && scopes.some((s) => s.startsWith('push')),
        `scopes shown: ${JSON.stringify(scopes)}`);
  await checkFitsWidth(page, 'consent page');
  // Authorize comes before Deny in the tab order.
  const buttons = await page.getByRole('button').allTextContents();
  check(JSON.stringify(buttons) === '["Authorize","Deny"]', `buttons: ${buttons}`);
  await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)),
                     page.getByRole('button', { name: 'Deny' }).click()]);
  const denied = new URL(page.url());
  check(denied.searchParams.get('error') === 'access_denied', `deny went to ${page.url()}`);
  check(denied.searchParams.get('state') === 'deny-state', 'deny lost the state');
  check(!denied.searchParams.has('code'), 'a code after Deny');
  seen.deny = page.url();

  // 3. Again, and Authorize: back with a code and the state.
  await signIn(page, 'approve-state', password);
  await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)),
                     page.getByRole('button', { name: 'Authorize' }).click()]);
  const approved = new URL(page.url());
  check(approved.searchParams.get('state') === 'approve-state', `approve went to ${page.url()}`);
  const code = approved.searchParams.get('code');
  check(code && code.length >= 32, 'no code after Authorize');
  check((await page.textContent('body')).includes('callback received'),
        'the loopback callback page was not shown');
  seen.approve = 'code and state';
  check(scripts.length === 0, `scripts were requested: ${scripts}`);

  // 4. The code for a token (with the PKCE verifier), as the client would.
  const tokenResponse = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri,
      client_id: clientId, client_secret: clientSecret, code_verifier: verifier,
    }),
  });
  const token = await tokenResponse.json();
  check(tokenResponse.status === 200, `token: ${tokenResponse.status} ${JSON.stringify(token)}`);
  check(token.scope === 'read write follow push', `scope ${token.scope}`);
  const me = await fetch(`${base}/api/v1/accounts/verify_credentials`, {
    headers: { Authorization: `Bearer ${token.access_token}` },
  });
  const account = await me.json();
  check(me.status === 200 && account.username === login.split('@')[0],
        `verify_credentials: ${me.status} ${JSON.stringify(account)}`);
  seen.verify_credentials = account.username;

  // 5. The sign-in page as the accessibility tree shows it.
  await page.goto(authorizeUrl('tree'));
  seen.sign_in_tree = await page.locator('main').ariaSnapshot();
  await context.close();
  console.log(JSON.stringify(seen));
} catch (error) {
  console.error(`browser check failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
