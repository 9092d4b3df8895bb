// The satchel demo in a real browser: Debian's headless Chromium, driven by playwright-core.
//
// Cookies are the browser's business, so this is where the demo's promises are checked:
// the session survives page loads and a restart of the server, stays out of JavaScript's
// reach (HttpOnly), stays home on a cross-site request (SameSite=Lax), ends at logout, and
// one browser of a user can end the others ("log out everywhere").
//
// The test starts the demo itself on a free loopback port, with a file store in a temp dir
// and `--insecure-cookies` (plain HTTP), and stops it at the end. The demo is reached as
// `localhost`; the "other site" is a page served from `127.0.0.1`, another site to the
// browser (another port alone would be the same site).
//
// Environment: SATCHEL_DEMO_BIN (the demo binary; default: $CARGO_TARGET_DIR or ../../../target,
// then debug/satchel-demo), CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default
// docs/screenshots at the repository's root).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const targetDir = process.env.CARGO_TARGET_DIR || join(root, "target");
const demoBin = process.env.SATCHEL_DEMO_BIN || join(targetDir, "debug", "satchel-demo");
const screenshotDir = process.env.SCREENSHOT_DIR || join(root, "docs", "screenshots");

// As the machine notes prescribe: without the background-networking flags Chromium keeps
// knocking on a closed network; as root it needs --no-sandbox.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const storeDir = mkdtempSync(join(tmpdir(), "satchel-e2e-"));
let demo; // the running demo: { child, port, exited }
let origin; // http://localhost:PORT
let attacker; // the other site's server
let attackerOrigin; // http://127.0.0.1:PORT
let browser;

/** Starts the demo on `port` (0: any free one) and resolves once it listens. */
function startDemo(port = 0) {
  const child = spawn(
    demoBin,
    [
      "--addr", `127.0.0.1:${port}`,
      "--store", `file:${join(storeDir, "sessions")}`,
      "--idle-timeout", "30m",
      "--absolute-timeout", "12h",
      "--insecure-cookies",
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, RUST_LOG: "warn" } },
  );
  const exited = new Promise((done) => child.on("exit", (code, signal) => done({ code, signal })));
  return new Promise((ready, fail) => {
    child.on("error", fail);
    exited.then(({ code }) => fail(new Error(`the demo exited (${code}) before listening`)));
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      // "satchel demo listening on http://127.0.0.1:PORT (store: …)"
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(line);
      if (!match) return fail(new Error(`unexpected first line: ${line}`));
      lines.on("line", () => {}); // keep draining stdout
      ready({ child, port: Number(match[1]), exited });
    });
  });
}

/** Stops the demo as Ctrl-C would, and checks that it shut down cleanly. */
async function stopDemo() {
  demo.child.kill("SIGINT");
  const { code } = await demo.exited;
  assert.equal(code, 0, "the demo shuts down cleanly on Ctrl-C");
}

/** The other site: a page whose form posts to the demo's login as soon as it loads. */
function startAttacker() {
  const server = createServer((request, response) => {
    const page = `<!doctype html><title>another site</title>
<form id="f" method="post" action="${origin}/login">
<input type="hidden" name="user" value="mallory"><input type="hidden" name="csrf" value="guessed">
</form><script>document.getElementById("f").submit()</script>`;
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(page);
  });
  return new Promise((ready) => server.listen(0, "127.0.0.1", () => ready(server)));
}

before(async () => {
  demo = await startDemo();
  origin = `http://localhost:${demo.port}`;
  attacker = await startAttacker();
  attackerOrigin = `http://127.0.0.1:${attacker.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

/** A new browser context (a separate cookie jar) that fails fast rather than waiting 30 s. */
async function newContext(options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(10_000);
  return context;
}

after(async () => {
  await browser?.close();
  attacker?.close();
  if (demo && demo.child.exitCode === null) {
    demo.child.kill("SIGINT");
    await demo.exited;
  }
  rmSync(storeDir, { recursive: true, force: true });
});

/** The page's visit counter, as a number. */
async function visits(page) {
  return Number(await page.locator("#visit-count").textContent());
}

/** Who the page says is logged in: the name, or null for nobody. */
async function who(page) {
  const status = await page.locator("#who-status").textContent();
  if (status.includes("Nobody is logged in.")) return null;
  return page.locator("#user").textContent();
}

/** The context's session cookie, as the browser keeps it. */
async function sessionCookie(context) {
  const cookies = await context.cookies(origin);
  return cookies.find((cookie) => cookie.name === "session_id");
}

/** Logs in through the page's form. */
async function logIn(page, name) {
  await page.goto(origin);
  await page.fill('input[name="user"]', name);
  await Promise.all([page.waitForURL(`${origin}/`), page.click('button:has-text("Log in")')]);
  assert.equal(await who(page), name);
}

/** Sets a key through the page's data form. */
async function setKey(page, key, value) {
  await page.fill('#set-form input[name="key"]', key);
  await page.fill('#set-form input[name="value"]', value);
  await Promise.all([page.waitForURL(`${origin}/`), page.click("#set-form button")]);
}

test("the visit count rises with each load, and login shows the name", async () => {
  const context = await newContext();
  const page = await context.newPage();
  const counts = [];
  for (let i = 0; i < 3; i += 1) {
    const response = await page.goto(origin);
    assert.equal(response.status(), 200);
    counts.push(await visits(page));
  }
  assert.deepEqual(counts, [1, 2, 3]);
  assert.equal(await who(page), null);
  const before = await sessionCookie(context);

  await logIn(page, "ann");
  assert.equal(await visits(page), 5, "the same session went on counting");
  const after = await sessionCookie(context);
  assert.notEqual(after.value, before.value, "login gives the session a new id");
  await context.close();
});

test("the page says when the session ends, by the demo's timeouts", async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(origin);
  const idle = await page.locator("#idle").textContent();
  assert.match(idle, /^30 min without a visit: at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 30 min\)$/);
  const absolute = await page.locator("#absolute").textContent();
  assert.match(absolute, /^12 h after it began: at .+ UTC \(in (12 h|11 h 59 min)\)$/);
  const idleAt = Date.parse(await page.locator("#idle time").getAttribute("datetime"));
  const minutes = (idleAt - Date.now()) / 60_000;
  assert.ok(minutes > 29 && minutes <= 30.1, `the idle deadline is 30 minutes away: ${minutes}`);
  await context.close();
});

test("document.cookie cannot see the session cookie (HttpOnly)", async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(origin);
  const cookie = await sessionCookie(context);
  assert.ok(cookie, "the browser holds the session cookie");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Lax");
  assert.equal(cookie.path, "/");
  // A script's view of the cookies: a cookie a script sets itself shows, the session's not.
  const seen = await page.evaluate(() => {
    document.cookie = "visible=yes; path=/";
    return document.cookie;
  });
  assert.match(seen, /visible=yes/);
  assert.doesNotMatch(seen, /session_id/);
  assert.ok(!seen.includes(cookie.value), "the id appears nowhere in document.cookie");
  await context.close();
});

test("a form on another site posting to the login neither carries the cookie nor logs anyone in", async () => {
  const context = await newContext();
  const page = await context.newPage();
  await logIn(page, "amy");
  const visitsBefore = await visits(page);

  // The browser's own record of the request headers: first a same-site request, which
  // carries the cookie, so that its absence below means something.
  const own = page.waitForRequest((request) => request.url() === `${origin}/`);
  await page.goto(origin);
  const ownHeaders = await (await own).allHeaders();
  assert.match(ownHeaders.cookie ?? "", /session_id=/, "a same-site request carries the cookie");

  const forged = page.waitForRequest(
    (request) => request.url() === `${origin}/login` && request.method() === "POST",
  );
  const refused = page.waitForResponse((response) => response.url() === `${origin}/login`);
  await page.goto(attackerOrigin);
  const headers = await (await forged).allHeaders();
  assert.doesNotMatch(headers.cookie ?? "", /session_id=/, "SameSite=Lax keeps the cookie home");
  assert.equal(headers["sec-fetch-site"], "cross-site", "the browser sees another site");
  const refusal = await refused;
  assert.equal(refusal.status(), 403, "the forged login is refused");
  assert.match(await refusal.text(), /another site may not change the session/);

  await page.goto(origin);
  assert.equal(await who(page), "amy", "the visitor is still who they were");
  assert.equal(await visits(page), visitsBefore + 2, "and their session is the same one");
  await context.close();
});

test("a form posted with another session's CSRF token, or none, gets 403 and changes nothing", async () => {
  const mine = await newContext();
  const theirs = await newContext();
  const page = await mine.newPage();
  await logIn(page, "dave");
  const other = await theirs.newPage();
  await other.goto(origin);
  const theirToken = await other.locator('input[name="csrf"]').first().inputValue();
  for (const token of [theirToken, null]) {
    await page.goto(origin);
    // The page's own login form, its token swapped for the other session's or taken out.
    await page.evaluate((token) => {
      for (const input of document.querySelectorAll('input[name="csrf"]')) {
        if (token === null) input.remove();
        else input.value = token;
      }
    }, token);
    await page.fill('input[name="user"]', "mallory");
    const [response] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${origin}/login`),
      page.click('button:has-text("Log in")'),
    ]);
    assert.equal(response.status(), 403, `token ${token === null ? "absent" : "of another session"}`);
    assert.match(await page.locator("#problem").textContent(), /out of date or came from another site/);
  }
  await page.goto(origin);
  assert.equal(await who(page), "dave");
  await mine.close();
  await theirs.close();
});

test("logout makes the visitor anonymous, and the old cookie is refused if replayed", async () => {
  const context = await newContext();
  const page = await context.newPage();
  await logIn(page, "carol");
  await setKey(page, "color", "blue");
  const old = await sessionCookie(context);

  await Promise.all([page.waitForURL(`${origin}/`), page.click("#logout")]);
  assert.equal(await who(page), null);
  assert.equal(await visits(page), 1, "a fresh session began with this view");
  assert.equal(await page.locator('tr[data-key="color"]').count(), 0);
  assert.notEqual((await sessionCookie(context)).value, old.value);

  // Replayed in a browser that still holds the old cookie...
  const replay = await newContext();
  await replay.addCookies([{ ...old }]);
  const replayed = await replay.newPage();
  await replayed.goto(origin);
  assert.equal(await who(replayed), null, "the old cookie finds no session");
  assert.equal(await visits(replayed), 1);
  assert.notEqual((await sessionCookie(replay)).value, old.value, "a new id, never the old one");
  // ...and by hand, to the API, which never creates a session on a read.
  const api = await fetch(`${origin}/api/session`, { headers: { cookie: `session_id=${old.value}` } });
  assert.deepEqual(await api.json(), {});
  await replay.close();
  await context.close();
});

test("the session survives a restart of the demo (file store)", async () => {
  const context = await newContext();
  const page = await context.newPage();
  await logIn(page, "bob");
  await setKey(page, "color", "green");
  const count = await visits(page);
  const cookie = await sessionCookie(context);

  await stopDemo();
  demo = await startDemo(demo.port);

  await page.goto(origin);
  assert.equal(await who(page), "bob");
  assert.equal(await visits(page), count + 1);
  const color = page.locator('tr[data-key="color"] td:nth-child(2)');
  assert.equal(await color.textContent(), '"green"');
  assert.equal((await sessionCookie(context)).value, cookie.value, "the same session id");
  await context.close();
});

test("two browsers of one user: an end button ends one, log out everywhere the rest", async () => {
  const browsers = [];
  for (let i = 0; i < 3; i += 1) {
    const context = await newContext();
    const page = await context.newPage();
    await logIn(page, "erin");
    browsers.push({ context, page });
  }
  const [mine, ...others] = browsers;
  await mine.page.goto(origin);
  const rows = mine.page.locator("#sessions tr");
  assert.equal(await rows.count(), 3);
  assert.equal(await mine.page.locator("#sessions tr.current").count(), 1);
  assert.match(await mine.page.locator("#sessions tr.current").textContent(), /\(this browser\)/);

  const anonymous = async () => {
    const seen = [];
    for (const { page } of others) {
      await page.goto(origin);
      seen.push((await who(page)) === null);
    }
    return seen;
  };
  // The first other row's end button: exactly one of the other browsers is logged out.
  await Promise.all([
    mine.page.waitForURL(`${origin}/`),
    mine.page.locator('#sessions tr:not(.current) button:has-text("end")').first().click(),
  ]);
  assert.equal(await rows.count(), 2);
  assert.deepEqual((await anonymous()).filter(Boolean).length, 1);

  // Log back in where it ended, then "log out everywhere" from the first browser.
  for (const { page } of others) {
    if ((await who(page)) === null) await logIn(page, "erin");
  }
  await mine.page.goto(origin);
  assert.equal(await rows.count(), 3);
  await Promise.all([mine.page.waitForURL(`${origin}/`), mine.page.click("#logout-everywhere")]);
  assert.deepEqual(await anonymous(), [true, true], "every other browser is logged out");
  assert.equal(await who(mine.page), "erin", "this one stays");
  assert.equal(await rows.count(), 1);
  for (const { context } of browsers) await context.close();
});

test("screenshots of the page at desktop and phone width", async () => {
  mkdirSync(screenshotDir, { recursive: true });
  const iphone =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
  // The phone first, so that the desktop's list shows both of alice's sessions.
  const shots = [
    {
      file: "demo-phone.png",
      options: {
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        userAgent: iphone,
      },
    },
    { file: "demo-desktop.png", options: { viewport: { width: 1280, height: 800 } } },
  ];
  for (const { file, options } of shots) {
    const context = await newContext(options);
    const page = await context.newPage();
    await logIn(page, "alice");
    await setKey(page, "theme", "dark");
    await setKey(page, "cart", '["apple", "pear"]');
    await page.goto(origin);
    // Readable means no sideways scrolling, at either width.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `${file}: the page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(screenshotDir, file), fullPage: true });
    await context.close();
  }
});
