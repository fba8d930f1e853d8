import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addHeadsVersion, headsWeights } from "../../layers/core/store/head-versions.js";
import { startApi, startRuntime, type TestSystem } from "../support/runtime.js";
import { startWorker } from "../support/worker.js";

// The dashboard end to end: a fresh build, the real local system in-process (API + worker + Redis), Debian's
// Chromium driven by playwright-core. Never downloads a browser.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = join(ROOT, "test/artifacts/dashboard");
const API_KEY = "e2e-key";
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const VIEWS = ["queue", "incidents", "agents", "offers", "agent-view", "breaker", "activity", "submit", "throughput"] as const;

interface System {
  sys: TestSystem;
  api: { base: string; close(): Promise<void> };
  worker: { stop(): Promise<void> };
}

let dist = "";
let system: System;
let browser: Browser;
let page: Page;
/** The agent that accepted the offer (the offers test decides which). */
let offersAgent = "";
const consoleErrors: string[] = [];
const timings: Record<string, number> = {};

async function startSystem(env: Record<string, string>): Promise<System> {
  const sys = startRuntime({ DASHBOARD_DIR: dist, API_KEY, ...env });
  // Load and warm the models first: a cold first call must not be what trips the breaker.
  await sys.rt.classifier.ready();
  const api = await startApi(sys.rt);
  return { sys, api, worker: startWorker(sys.rt) };
}

/** Stops API and worker; `keepData` leaves the Redis prefix for the next system (a restart). */
async function stopSystem(s: System, keepData: boolean): Promise<void> {
  await s.worker.stop();
  await s.api.close();
  if (keepData) await s.sys.rt.close();
  else await s.sys.close();
}

async function openPage(base: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.waitForSelector("#conn[data-state='live']", { timeout: 15_000 });
}

const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? "").trim();
const activeId = () => page.evaluate<string>("document.activeElement ? document.activeElement.id : ''");
const activeHref = () => page.evaluate<string>("document.activeElement ? (document.activeElement.getAttribute('href') || '') : ''");

/** Presses Tab until `done` holds (fails after `max` presses). */
async function tabUntil(done: () => Promise<boolean>, max = 80): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press("Tab");
    if (await done()) return i;
  }
  throw new Error(`not reached within ${max} Tab presses`);
}

beforeAll(async () => {
  let t = performance.now();
  dist = await mkdtemp(join(tmpdir(), "dashboard-e2e-"));
  // A build of our own (dashboard/vite.config.ts, output redirected), so nothing else's dashboard/dist moves under us.
  await promisify(execFile)(
    process.execPath,
    [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--config", "dashboard/vite.config.ts", "--outDir", dist, "--logLevel", "warn"],
    { cwd: ROOT },
  );
  timings.build = performance.now() - t;
  t = performance.now();
  system = await startSystem({});
  timings.system = performance.now() - t;
  t = performance.now();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: DESKTOP });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
  await mkdir(SHOTS, { recursive: true });
  timings.browser = performance.now() - t;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (system) await stopSystem(system, false);
  if (dist) await rm(dist, { recursive: true, force: true });
  console.info(`dashboard e2e timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`);
});

const timed = (name: string, fn: () => Promise<void>) => async () => {
  const t = performance.now();
  await fn();
  timings[name] = performance.now() - t;
};

describe("operations dashboard", () => {
  it(
    "loads the page with every view, live",
    timed("load", async () => {
      await openPage(system.api.base);
      expect(await page.title()).toBe("Smart-Support · Operations");
      for (const name of ["Queue", "Incidents", "Agents", "Offers", "Agent view", "Breaker", "Activity", "Submit", "Throughput"]) {
        expect(await page.getByRole("heading", { level: 2, name, exact: true }).isVisible()).toBe(true);
        expect(await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name, exact: true }).count()).toBe(1);
      }
      expect(await page.getAttribute("#breaker-badge", "data-state")).toBe("closed");
      expect(await text("#queue-size")).toBe("0");
      expect(await page.locator("#chart svg polyline").count()).toBe(2);
    }),
  );

  it(
    "pauses polling while the tab is hidden and catches up when it is shown",
    timed("hidden", async () => {
      let polls = 0;
      const count = (r: { url(): string }) => {
        if (r.url().endsWith("/metrics")) polls++;
      };
      page.on("request", count);
      await page.evaluate(
        "Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }); document.dispatchEvent(new Event('visibilitychange'))",
      );
      await page.waitForSelector("#conn[data-state='paused']");
      polls = 0;
      await page.waitForTimeout(4_500);
      expect(polls).toBe(0);
      await page.evaluate("delete document.hidden; document.dispatchEvent(new Event('visibilitychange'))");
      await page.waitForSelector("#conn[data-state='live']");
      expect(polls).toBeGreaterThanOrEqual(1);
      page.off("request", count);
    }),
  );

  it(
    "registers an agent, asking for the API key once and retrying with it",
    timed("agent", async () => {
      const auth: (string | undefined)[] = [];
      page.on("request", (r) => {
        if (r.method() === "POST" && r.url().endsWith("/agents")) auth.push(r.headers().authorization);
      });
      await page.click("#agent-register summary");
      await page.fill("#agent-id", "E2E-A");
      await page.fill("#agent-name", "Eve Tech");
      await page.focus("#skill-tech"); // a slider: 0.80 → 0.90 with the arrow keys
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      expect(await text("#skill-tech-out")).toBe("0.90");
      await page.fill("#agent-capacity", "5");
      await page.click("#agent-form button[type=submit]");
      // 401 → the in-page dialog, not window.prompt.
      await page.waitForSelector("#key-dialog[open]");
      expect(await text("#key-reason")).toContain("401");
      await page.fill("#key-input", API_KEY);
      await page.keyboard.press("Enter");
      const row = page.locator("#agents-list li[data-key='E2E-A']");
      await row.waitFor();
      expect(auth).toEqual([undefined, `Bearer ${API_KEY}`]);
      expect(await page.evaluate<string | null>("sessionStorage.getItem('smart-support.api-key')")).toBe(API_KEY);
      expect((await row.locator(".name").textContent())?.trim()).toBe("Eve Tech");
      expect((await row.locator(".num").textContent())?.trim()).toBe("0 / 5");
      expect(await row.locator(".switch").getAttribute("aria-checked")).toBe("true");
      // A 422 is shown inline with the server's detail.
      await page.fill("#agent-id", "x".repeat(10_001)); // over the id limit
      await page.click("#agent-form button[type=submit]");
      await page.locator("#agent-form-error", { hasText: "agent_id must be" }).waitFor();
      expect(await page.getAttribute("#agent-id", "aria-invalid")).toBe("true");
      expect(await page.locator("#key-dialog[open]").count()).toBe(0);
      await page.fill("#agent-id", "");
    }),
  );

  it(
    "submits a ticket and shows it in the queue, routed to the agent (its load changes)",
    timed("ticket", async () => {
      await page.fill("#ticket-subject", "Login broken");
      await page.fill("#ticket-body", "Cannot login since this morning, the page says 500.");
      await page.fill("#ticket-id", "E2E-1");
      await page.click("#ticket-form button[type=submit]");
      await page.locator("#ticket-form-msg", { hasText: "Accepted E2E-1" }).waitFor();
      const item = page.locator("#queue-list li[data-key='E2E-1']");
      await item.waitFor({ timeout: 15_000 });
      expect((await item.locator(".subject").textContent())?.trim()).toBe("Login broken");
      expect(await item.locator(".bar").getAttribute("aria-valuenow")).toMatch(/^\d\.\d\d$/);
      await page.locator("#queue-size", { hasText: "1" }).waitFor();
      await page.locator("#agents-list li[data-key='E2E-A'] .num", { hasText: "1 / 5" }).waitFor({ timeout: 10_000 });
      await item.locator(".agent", { hasText: "agent E2E-A" }).waitFor();
      await page.locator("#activity-list li[data-type='ticket_assigned_to_agent']").first().waitFor();
    }),
  );

  it(
    "simulates a flood of 12 and shows one incident with 12 tickets",
    timed("flood", async () => {
      expect(await page.inputValue("#flood-n")).toBe("12");
      await page.click("#flood-form button[type=submit]");
      await page.locator("#flood-form-msg", { hasText: "Sent 12 tickets" }).waitFor();
      const incident = page.locator("#incidents-list li.incident");
      await incident.locator(".count", { hasText: "12 tickets" }).waitFor({ timeout: 20_000 });
      expect(await incident.count()).toBe(1);
      expect(await incident.getAttribute("data-status")).toBe("open");
      // Enter on the row opens its linked ticket ids.
      await incident.locator(".incident-toggle").focus();
      await page.keyboard.press("Enter");
      await incident.locator(".details .ids li").nth(11).waitFor();
      expect(await incident.locator(".details .ids li").count()).toBe(12);
      expect(await incident.locator(".incident-toggle").getAttribute("aria-expanded")).toBe("true");
      // The incident takes one unit of the agent's capacity.
      await page.locator("#agents-list li[data-key='E2E-A'] .num", { hasText: "2 / 5" }).waitFor({ timeout: 10_000 });
      expect(await text("#incidents-open")).toBe("1");
    }),
  );

  it(
    "is operable by keyboard: the nav link, then Tab into the submit form, Enter submits",
    timed("keyboard", async () => {
      await page.goto(`${system.api.base}/`);
      await page.waitForSelector("#conn[data-state='live']");
      const presses = await tabUntil(async () => (await activeHref()) === "#submit");
      expect(presses).toBeLessThan(12); // skip link + the nav come first
      await page.keyboard.press("Enter");
      await page.keyboard.press("Tab");
      expect(await activeId()).toBe("ticket-subject");
      await page.keyboard.type("Refund please");
      await page.keyboard.press("Tab");
      expect(await activeId()).toBe("ticket-body");
      await page.keyboard.type("I was charged twice for my invoice.");
      await page.keyboard.press("Tab");
      expect(await activeId()).toBe("ticket-id");
      await page.keyboard.type("E2E-KEY-1");
      await page.screenshot({ path: join(SHOTS, "1280x800-keyboard-focus.png") });
      await page.keyboard.press("Enter");
      await page.locator("#ticket-form-msg", { hasText: "Accepted E2E-KEY-1" }).waitFor();
      await page.locator("#queue-list li[data-key='E2E-KEY-1']").waitFor({ timeout: 15_000 });
      // The agent switch works from the keyboard too (Space), and keeps focus across live refreshes.
      const toggle = page.locator("#agents-list li[data-key='E2E-A'] .switch");
      await toggle.focus();
      await page.keyboard.press("Space");
      await page.locator("#agents-list li[data-key='E2E-A'][data-status='offline']").waitFor();
      await page.waitForTimeout(2_500); // one poll later
      expect(await page.evaluate<boolean>("document.activeElement.classList.contains('switch')")).toBe(true);
      await page.keyboard.press("Space");
      await page.locator("#agents-list li[data-key='E2E-A'][data-status='online']").waitFor();
      // Focus is visible: the focused control draws an outline.
      const outline = await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
      expect(outline).toBe("solid");
    }),
  );

  it(
    "pops the next ticket and clears the queue after an in-page confirmation",
    timed("pop-clear", async () => {
      const before = Number(await text("#queue-size"));
      expect(before).toBeGreaterThan(0);
      await page.click("#pop-btn");
      await page.locator("#queue-msg", { hasText: "Popped" }).waitFor();
      await page.locator("#queue-size", { hasText: String(before - 1) }).waitFor();
      // "Clear queue" asks first; Cancel leaves the queue alone.
      await page.click("#clear-btn");
      await page.waitForSelector("#confirm-dialog[open]");
      await page.click("#confirm-cancel");
      expect(await page.locator("#confirm-dialog[open]").count()).toBe(0);
      await page.waitForTimeout(300);
      expect(await text("#queue-size")).toBe(String(before - 1));
    }),
  );

  it(
    "shows the breaker open after a restart with a 1 ms model budget",
    timed("breaker", async () => {
      const prefix = system.sys.config.REDIS_PREFIX;
      await page.goto("about:blank"); // no polls against a server that is going away
      await stopSystem(system, true);
      // The seed's rule (one slow call opens it), so the first ticket trips the breaker.
      system = await startSystem({ REDIS_PREFIX: prefix, TRANSFORMER_LATENCY_MS: "1", CIRCUIT_WINDOW_SIZE: "1", CIRCUIT_MIN_CALLS: "1", CIRCUIT_SLOW_FACTOR: "0" });
      await openPage(system.api.base);
      // Same Redis prefix: the data outlived the restart.
      await page.locator("#agents-list li[data-key='E2E-A']").waitFor();
      await page.fill("#ticket-subject", "Payment page slow");
      await page.fill("#ticket-body", "The payment page takes a minute to load.");
      await page.fill("#ticket-id", "E2E-SLOW-1");
      await page.click("#ticket-form button[type=submit]");
      await page.waitForSelector("#breaker-badge[data-state='open']", { timeout: 20_000 });
      expect(await text("#breaker-badge")).toBe("Open");
      expect(await text("#breaker-opened")).not.toBe("never");
      // While open the baseline scores: the share shows it.
      await page.click("#batch-form button[type=submit]");
      await page.locator("#batch-form-msg", { hasText: "Accepted 2 tickets" }).waitFor();
      await page.locator("#share-text", { hasText: /baseline [1-9]\d*%/ }).waitFor({ timeout: 15_000 });
      await page.locator("#activity-list li[data-type='circuit_breaker_state_changed']").first().waitFor();
    }),
    60_000,
  );

  it(
    "renders each view at 1280×800 and 390×844 (screenshots under test/artifacts/dashboard)",
    timed("screenshots", async () => {
      // Show the interesting states: an incident opened, the register form open.
      if ((await page.getAttribute("#incidents-list .incident-toggle", "aria-expanded")) !== "true") await page.click("#incidents-list .incident-toggle");
      await page.locator("#incidents-list .details .ids li").first().waitFor();
      if (!(await page.locator("#agent-register[open]").count())) await page.click("#agent-register summary");
      for (const [label, size] of [["1280x800", DESKTOP], ["390x844", PHONE]] as const) {
        await page.setViewportSize(size);
        await page.evaluate("window.scrollTo(0, 0)");
        await page.waitForTimeout(300); // the chart redraws at the new width
        await page.screenshot({ path: join(SHOTS, `${label}-top.png`) });
        await page.screenshot({ path: join(SHOTS, `${label}-full.png`), fullPage: true });
        for (const view of VIEWS) {
          const section = page.locator(`#${view}`);
          expect(await section.isVisible()).toBe(true);
          await section.screenshot({ path: join(SHOTS, `${label}-${view}.png`) });
        }
        // Nothing wider than the viewport.
        expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(size.width);
      }
      // The phone keeps the anchor nav on top while scrolling.
      await page.click("nav.sections a[href='#activity']");
      await page.waitForTimeout(800);
      expect(await page.locator("nav.sections").isVisible()).toBe(true);
      const navBox = await page.locator(".topbar").boundingBox();
      expect(navBox?.y).toBe(0);
      await page.screenshot({ path: join(SHOTS, "390x844-nav-activity.png") });
      await page.setViewportSize(DESKTOP);
    }),
  );

  it(
    "resolves the incident (asking for the key again in this new origin's session) and clears the queue",
    timed("resolve-clear", async () => {
      const incident = page.locator("#incidents-list li.incident").first();
      await incident.locator(".resolve").click();
      await page.waitForSelector("#key-dialog[open]");
      await page.screenshot({ path: join(SHOTS, "1280x800-key-dialog.png") });
      await page.fill("#key-input", API_KEY);
      await page.click("#key-ok");
      await page.locator("#incidents-list li.incident[data-status='resolved']").waitFor();
      expect(await incident.locator(".resolve").isHidden()).toBe(true);
      expect(await text("#incidents-open")).toBe("0");
      await page.click("#clear-btn");
      await page.waitForSelector("#confirm-dialog[open]");
      await page.screenshot({ path: join(SHOTS, "1280x800-confirm-dialog.png") });
      await page.click("#confirm-ok");
      await page.locator("#queue-msg", { hasText: "Queue cleared." }).waitFor();
      await page.locator("#queue-size", { hasText: /^0$/ }).waitFor();
      await page.locator("#queue-empty").waitFor();
      await page.locator("#agents-list li[data-key='E2E-A'] .num", { hasText: "0 / 5" }).waitFor();
      expect(await page.locator("#key-dialog[open]").count()).toBe(0);
    }),
  );

  it(
    "with offers on: a ticket is offered, rejected with the button, goes to the other agent, who accepts it from the keyboard",
    timed("offers", async () => {
      await page.goto("about:blank");
      await stopSystem(system, false);
      // A fresh system: offers on (long enough to answer by hand), growth updates as soon as a step is crossed.
      system = await startSystem({ ROUTING_OFFERS: "true", ROUTING_OFFER_TIMEOUT_SECONDS: "600", INCIDENT_UPDATE_INTERVAL_SECONDS: "0" });
      const base = system.api.base;
      // One agent through the API (billing), one through the form (tech), which asks for the key in this origin.
      const res = await fetch(`${base}/agents`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify({ agent_id: "E2E-C", display_name: "Cam Billing", skill_vector: { tech: 0.2, billing: 0.9, legal: 0.1 }, max_concurrent_tickets: 5 }),
      });
      expect(res.status).toBe(200);
      await openPage(base);
      expect(await text("#offers-pending")).toBe("0");
      expect(await text("#offers-list li[data-key='E2E-C'] .counts")).toBe("accepted 0 · rejected 0 · expired 0");
      await page.click("#agent-register summary");
      await page.fill("#agent-id", "E2E-B");
      await page.fill("#agent-name", "Bo Tech");
      await page.fill("#agent-capacity", "5");
      await page.click("#agent-form button[type=submit]");
      await page.waitForSelector("#key-dialog[open]");
      await page.fill("#key-input", API_KEY);
      await page.keyboard.press("Enter");
      await page.locator("#offers-list li[data-key='E2E-B']").waitFor();

      const answers: { url: string; auth: string | undefined }[] = [];
      page.on("request", (r) => {
        if (r.method() === "POST" && /\/offers\/[^/]+\/(accept|reject)$/.test(r.url())) answers.push({ url: r.url(), auth: r.headers().authorization });
      });
      await page.fill("#ticket-subject", "Login broken");
      await page.fill("#ticket-body", "Cannot login since this morning, the page says 500.");
      await page.fill("#ticket-id", "E2E-O-1");
      await page.click("#ticket-form button[type=submit]");
      // Offered to one of the two (the better skill match): a pending offer with its deadline and two buttons.
      const offer = page.locator("#offers-list li.offer[data-key='E2E-O-1']");
      await offer.waitFor({ timeout: 15_000 });
      const first = (await page.locator("#offers-list li.offer-agent", { has: page.locator("li.offer[data-key='E2E-O-1']") }).getAttribute("data-key"))!;
      const second = first === "E2E-B" ? "E2E-C" : "E2E-B";
      await page.locator("#offers-pending", { hasText: /^1$/ }).waitFor();
      expect(await offer.locator(".subject").textContent()).toBe("Login broken");
      const deadline = Date.parse((await offer.locator("time.deadline").getAttribute("datetime"))!);
      expect(deadline - Date.now()).toBeGreaterThan(500_000);
      expect(deadline - Date.now()).toBeLessThanOrEqual(600_000);
      expect(await offer.locator(".left").textContent()).toMatch(/^\(in (9|10) min \d+ s\)$/);
      // Holding the offer is holding a unit.
      await page.locator(`#agents-list li[data-key='${first}'] .num`, { hasText: "1 / 5" }).waitFor();
      await page.locator("#offers").screenshot({ path: join(SHOTS, "1280x800-offer-pending.png") });

      // Reject: the ticket goes to the other agent, never back to this one.
      await page.getByRole("button", { name: "Reject offer of “Login broken” (E2E-O-1)" }).click();
      await page.locator("#offers-msg", { hasText: `${first} rejected E2E-O-1: offered to ${second}` }).waitFor();
      const moved = page.locator(`#offers-list li.offer-agent[data-key='${second}'] li.offer[data-key='E2E-O-1']`);
      await moved.waitFor();
      expect(await page.locator(`#offers-list li.offer-agent[data-key='${first}'] li.offer`).count()).toBe(0);
      // Focus did not fall to <body>: it is on the agent whose offer went away.
      expect(await page.evaluate<boolean>("document.activeElement.classList.contains('agent-h')")).toBe(true);
      await page.locator(`#offers-list li[data-key='${first}'] .counts`, { hasText: "accepted 0 · rejected 1 · expired 0" }).waitFor();
      await page.locator("#offers-rejected", { hasText: /^1$/ }).waitFor();

      // Accept from the keyboard.
      await moved.locator(".accept").focus();
      await page.keyboard.press("Enter");
      await page.locator("#offers-msg", { hasText: `${second} accepted E2E-O-1: assigned to ${second}` }).waitFor();
      await page.locator(`#offers-list li[data-key='${second}'] .counts`, { hasText: "accepted 1 · rejected 0 · expired 0" }).waitFor();
      await page.locator("#offers-accepted", { hasText: /^1$/ }).waitFor();
      await page.locator("#offers-pending", { hasText: /^0$/ }).waitFor();
      expect(await text("#offers-expired")).toBe("0");
      await page.locator(`#agents-list li[data-key='${second}'] .num`, { hasText: "1 / 5" }).waitFor();
      await page.locator(`#agents-list li[data-key='${first}'] .num`, { hasText: "0 / 5" }).waitFor();
      await page.locator("#activity-list li[data-type='offer_accepted']").first().waitFor();
      // Both answers carried the key the form's 401 asked for.
      expect(answers.map((a) => a.url.replace(/^.*\/agents\//, ""))).toEqual([`${first}/offers/E2E-O-1/reject`, `${second}/offers/E2E-O-1/accept`]);
      expect(answers.every((a) => a.auth === `Bearer ${API_KEY}`)).toBe(true);
      offersAgent = second;
    }),
    90_000,
  );

  it(
    "shows the agent's tickets with the accepted one as next, and resolves it with the button",
    timed("agent-view", async () => {
      const agent = offersAgent;
      // "View" on the agent's row opens the Agent view on it, focus on the picker.
      await page.locator(`#agents-list li[data-key='${agent}'] .view`).focus();
      await page.keyboard.press("Enter");
      expect(await activeId()).toBe("work-agent");
      expect(await page.inputValue("#work-agent")).toBe(agent);
      const item = page.locator("#work-list li[data-key='E2E-O-1']");
      await item.waitFor({ timeout: 10_000 });
      expect(await text("#work-count")).toBe("1");
      expect(await page.getAttribute("#work-next .tid", "title")).toBe("E2E-O-1");
      expect(await text("#work-next .subject")).toBe("Login broken");
      expect(await item.getAttribute("data-next")).toBe("true");
      expect(await item.locator(".next-tag").isVisible()).toBe(true);
      // The picker works too: another agent, then back.
      await page.selectOption("#work-agent", agent === "E2E-B" ? "E2E-C" : "E2E-B");
      await page.locator("#work-empty").waitFor();
      expect(await page.locator("#work-next").isHidden()).toBe(true);
      await page.selectOption("#work-agent", agent);
      await item.waitFor();
      await page.locator("#agent-view").screenshot({ path: join(SHOTS, "1280x800-agent-view-next.png") });

      await item.getByRole("button", { name: "Resolve ticket E2E-O-1 (“Login broken”)" }).click();
      await page.locator("#work-msg", { hasText: "Resolved E2E-O-1" }).waitFor();
      await page.locator("#work-empty").waitFor();
      await page.locator("#work-next-empty").waitFor();
      expect(await page.locator("#work-list li").count()).toBe(0);
      expect(await text("#work-count")).toBe("0");
      expect(await activeId()).toBe("work-tickets-h");
      await page.locator(`#agents-list li[data-key='${agent}'] .num`, { hasText: "0 / 5" }).waitFor();
      await page.locator("#activity-list li[data-type='ticket_resolved']").first().waitFor();
      expect((await (await fetch(`${system.api.base}/tickets/E2E-O-1`)).json()).status).toBe("resolved");
    }),
  );

  it(
    "shows an incident's growth: no update at 12 tickets, the step of 25 announced once it has 30",
    timed("growth", async () => {
      await page.fill("#flood-n", "12");
      await page.click("#flood-form button[type=submit]");
      await page.locator("#flood-form-msg", { hasText: "Sent 12 tickets" }).waitFor();
      const incident = page.locator("#incidents-list li.incident").first();
      await incident.locator(".count", { hasText: "12 tickets" }).waitFor({ timeout: 20_000 });
      expect(await incident.locator(".steps li").count()).toBe(1);
      expect(await incident.locator(".steps li[data-step='25']").getAttribute("data-state")).toBe("next");
      expect(await incident.locator(".growth-text").textContent()).toBe("No growth update yet · next update at 25 tickets");
      const summary = (await incident.locator(".summary").textContent())!;
      expect(await incident.locator(".steps").getAttribute("aria-label")).toBe(`Growth steps of “${summary}”`);
      // 18 more: 30 tickets, past the step of 25; with no update interval it is announced at once.
      await page.fill("#flood-n", "18");
      await page.click("#flood-form button[type=submit]");
      await page.locator("#flood-form-msg", { hasText: "Sent 18 tickets" }).waitFor();
      await incident.locator(".count", { hasText: "30 tickets" }).waitFor({ timeout: 20_000 });
      await incident.locator(".steps li[data-step='25'][data-state='announced']").waitFor({ timeout: 10_000 });
      expect(await incident.locator(".steps li[data-step='50']").getAttribute("data-state")).toBe("next");
      expect(await incident.locator(".steps li[data-step='25']").textContent()).toBe("✓25 tickets, announced");
      expect(await incident.locator(".growth-text").textContent()).toMatch(/^Update sent for 25 tickets at \d\d:\d\d:\d\d \(\d+ s ago\) · next update at 50 tickets$/);
      await incident.locator(".notices", { hasText: /^Updates: 25 at \d\d:\d\d:\d\d \((2[5-9]|30) tickets\)$/ }).waitFor();
      await page.locator("#activity-list li[data-type='incident_updated']").first().waitFor();
      const inc = (await (await fetch(`${system.api.base}/incidents?limit=1`)).json())[0];
      expect(inc.last_update_step).toBe(25);
      expect(inc.last_update_at).not.toBeNull();
    }),
    60_000,
  );

  it(
    "renders the offers, the agent view and incident growth at 1280×800 and 390×844",
    timed("screenshots-2", async () => {
      for (const [label, size] of [["1280x800", DESKTOP], ["390x844", PHONE]] as const) {
        await page.setViewportSize(size);
        await page.waitForTimeout(300);
        for (const view of ["offers", "agent-view", "incidents"]) {
          const section = page.locator(`#${view}`);
          expect(await section.isVisible()).toBe(true);
          await section.screenshot({ path: join(SHOTS, `${label}-${view}-offers-on.png`) });
        }
        await page.screenshot({ path: join(SHOTS, `${label}-full-offers-on.png`), fullPage: true });
        expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(size.width);
        // Buttons stay big enough for a finger.
        for (const sel of ["#agents-list .view", "#work-agent", "#offers-list .accept"]) {
          if (!(await page.locator(sel).count())) continue; // no offer pending at this point: nothing to measure
          const box = await page.locator(sel).first().boundingBox();
          expect(box!.height).toBeGreaterThanOrEqual(34);
        }
      }
      await page.setViewportSize(DESKTOP);
    }),
  );

  it("logged no console errors", () => {
    // Chromium logs every 4xx response as an error line; the ones this run provokes on purpose are the three 401s
    // that made the page ask for the key (one per origin) and the 422 shown inline. Anything else fails (a 404
    // from the Agent view's GET /agents/{id}/next would show here).
    const expected = [
      /status of 401 .*@ http:\/\/127\.0\.0\.1:\d+\/agents$/,
      /status of 422 .*@ http:\/\/127\.0\.0\.1:\d+\/agents$/,
      /status of 401 .*@ http:\/\/127\.0\.0\.1:\d+\/incidents\/[^/]+\/resolve$/,
    ];
    const unexpected = consoleErrors.filter((e) => !expected.some((re) => re.test(e)));
    expect(unexpected).toEqual([]);
    // The third origin (offers on) asked once more, registering through the form.
    expect(consoleErrors.length - unexpected.length).toBe(4);
  });
});

describe("operations dashboard: corrections and models", () => {
  /** Console errors logged before this block (the block above checks those). */
  let errorsBefore = 0;
  const authed = { "content-type": "application/json", authorization: `Bearer ${API_KEY}` };
  const submit = (base: string, ticket_id: string, subject: string, body: string) =>
    fetch(`${base}/tickets`, { method: "POST", headers: authed, body: JSON.stringify({ ticket_id, subject, body }) });
  const getJson = async (url: string) => (await fetch(url)).json();
  /** Waits until the API has processed the ticket. */
  async function processed(base: string, id: string): Promise<{ category: string; is_urgent: boolean }> {
    const until = Date.now() + 20_000;
    for (;;) {
      const t = await getJson(`${base}/tickets/${encodeURIComponent(id)}`);
      if (t.processed_at) return t;
      if (Date.now() > until) throw new Error(`${id} not processed: ${JSON.stringify(t)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it(
    "corrects a processed ticket with the “wrong?” dialog: the correction shows beside the model's answer, and in GET /tickets/{id}",
    timed("correct", async () => {
      errorsBefore = consoleErrors.length;
      await page.goto("about:blank");
      await stopSystem(system, false);
      system = await startSystem({});
      const base = system.api.base;
      // Two near-identical tickets (each the other's most similar) and an unrelated one.
      expect((await submit(base, "E2E-L-1", "Login broken", "Cannot login since this morning, the page says 500.")).status).toBe(202);
      expect((await submit(base, "E2E-L-2", "Login broken again", "Cannot log in since this morning, the page says 500.")).status).toBe(202);
      // An id that needs encoding in a path: every URL the page builds escapes it.
      const odd = "E2E-L-3/ä?#";
      expect((await submit(base, odd, "Refund please", "I was charged twice for my invoice.")).status).toBe(202);
      const model = await processed(base, "E2E-L-1");
      await processed(base, "E2E-L-2");
      await processed(base, odd);
      // Not what the model said, and the other urgency.
      const right = model.category === "Legal" ? "Billing" : "Legal";
      const urgent = !model.is_urgent;
      await openPage(base);

      const labels: { url: string; body: unknown; auth: string | undefined }[] = [];
      page.on("request", (r) => {
        if (r.method() === "POST" && r.url().endsWith("/label")) labels.push({ url: r.url(), body: r.postDataJSON(), auth: r.headers().authorization });
      });
      const item = page.locator("#queue-list li[data-key='E2E-L-1']");
      await item.waitFor({ timeout: 15_000 });
      expect(await item.locator(".fix-tag").isHidden()).toBe(true);
      const wrong = item.getByRole("button", { name: "wrong? Correct the model's label of “Login broken” (E2E-L-1)" });
      await wrong.click();
      await page.waitForSelector("#label-dialog[open]");
      expect(await text("#label-text")).toContain(`“Login broken” (E2E-L-1): the model said ${model.category}, ${model.is_urgent ? "urgent" : "not urgent"}`);
      // Nothing chosen but "model was right": asked to choose, nothing sent.
      expect(await page.locator("#label-dialog input[name=category][value='']").isChecked()).toBe(true);
      await page.click("#label-ok");
      await page.locator("#label-error", { hasText: "Choose the right category" }).waitFor();
      expect(labels).toEqual([]);
      await page.locator("#label-dialog").getByLabel(right, { exact: true }).check();
      await page.locator("#label-dialog").getByLabel(urgent ? "Yes, urgent" : "No, not urgent").check();
      await page.screenshot({ path: join(SHOTS, "1280x800-label-dialog.png") });
      await page.click("#label-ok");
      // A write: the first one in this origin asks for the key, over the label dialog, then goes on.
      await page.waitForSelector("#key-dialog[open]");
      await page.fill("#key-input", API_KEY);
      await page.keyboard.press("Enter");
      const fixed = `${right} · ${urgent ? "urgent" : "not urgent"}`;
      await page.locator("#queue-msg", { hasText: `Corrected E2E-L-1 to ${fixed} (the model said ${model.category}` }).waitFor();
      expect(await page.locator("#label-dialog[open]").count()).toBe(0);
      expect(await page.evaluate<boolean>("document.activeElement.classList.contains('wrong')")).toBe(true);
      expect(labels.map((l) => [l.url.replace(/^.*\/tickets\//, ""), l.body, l.auth])).toEqual([
        ["E2E-L-1/label", { category: right, urgent }, undefined],
        ["E2E-L-1/label", { category: right, urgent }, `Bearer ${API_KEY}`],
      ]);
      // Beside the model's answer, which stays (struck through).
      await item.locator(".fix-tag", { hasText: `corrected: ${fixed}` }).waitFor();
      expect(await item.locator(".cat").textContent()).toBe(model.category);
      expect(await item.locator(".cat").getAttribute("data-overridden")).toBe("true");
      await page.locator("#activity-list li[data-type='ticket_relabelled']").first().waitFor();
      // The API says the same.
      const t = await getJson(`${base}/tickets/E2E-L-1`);
      expect(t.category).toBe(model.category);
      expect(t.correction).toMatchObject({ category: right, urgent });
      expect(typeof t.correction.corrected_at).toBe("string");

      // "details": the Ticket view, with the correction and the similar tickets.
      await item.getByRole("button", { name: "details of “Login broken” (E2E-L-1)" }).click();
      await page.locator("#tv-detail").waitFor();
      expect(await activeId()).toBe("tv-subject");
      expect(await text("#tv-subject")).toBe("Login broken");
      expect(await text("#tv-id")).toBe("E2E-L-1");
      expect(await text("#tv-cat")).toBe(model.category);
      expect(await text("#tv-detail .fix-tag")).toBe(`corrected: ${fixed}`);
      expect(await page.locator("#tv-no-correction").isHidden()).toBe(true);
      const similar = page.locator("#tv-similar-list li[data-key='E2E-L-2']");
      await similar.waitFor({ timeout: 15_000 });
      expect(await page.locator("#tv-similar-list li").first().getAttribute("data-key")).toBe("E2E-L-2");
      expect(await similar.locator(".cos").textContent()).toMatch(/^cos 0\.\d{3}$/);
      expect(await similar.locator(".src").textContent()).toBe("window");
      expect(await similar.locator(".st").textContent()).toBe("processed");
      // A similar ticket opens in the view; correcting it there shows at once.
      await similar.locator("button.open").click();
      await page.locator("#tv-id", { hasText: /^E2E-L-2$/ }).waitFor();
      await page.click("#tv-wrong");
      await page.waitForSelector("#label-dialog[open]");
      await page.locator("#label-dialog").getByLabel("Technical", { exact: true }).check();
      await page.keyboard.press("Enter");
      await page.locator("#tv-msg", { hasText: "Corrected E2E-L-2 to Technical" }).waitFor();
      await page.locator("#tv-detail .fix-tag", { hasText: /^corrected: Technical$/ }).waitFor();
      expect((await getJson(`${base}/tickets/E2E-L-2`)).correction).toMatchObject({ category: "Technical" });
      // …and E2E-L-1, now among E2E-L-2's similar tickets, carries its correction.
      await page.locator("#tv-similar-list li[data-key='E2E-L-1'] .fix-tag", { hasText: `corrected: ${fixed}` }).waitFor({ timeout: 15_000 });

      // The odd id: its label and its details go to its own (escaped) paths.
      const oddItem = page.locator("#queue-list li", { has: page.locator(".tid", { hasText: "E2E-L-3/ä?#" }) });
      await oddItem.getByRole("button", { name: /^wrong\? / }).click();
      await page.waitForSelector("#label-dialog[open]");
      await page.locator("#label-dialog").getByLabel("Yes, urgent").check();
      await page.click("#label-ok");
      await oddItem.locator(".fix-tag", { hasText: /^corrected: urgent$/ }).waitFor();
      expect(labels.at(-1)!.url).toBe(`${base}/tickets/E2E-L-3%2F%C3%A4%3F%23/label`);
      expect((await getJson(`${base}/tickets/${encodeURIComponent(odd)}`)).correction).toMatchObject({ urgent: true });
      const gets: string[] = [];
      const seen = (r: { url(): string }) => gets.push(r.url());
      page.on("request", seen);
      await oddItem.getByRole("button", { name: /^details of / }).click();
      await page.locator("#tv-id", { hasText: odd }).waitFor();
      await page.locator("#tv-detail .fix-tag", { hasText: /^corrected: urgent$/ }).waitFor();
      page.off("request", seen);
      expect(gets).toContain(`${base}/tickets/E2E-L-3%2F%C3%A4%3F%23`);
      expect(gets).toContain(`${base}/tickets/E2E-L-3%2F%C3%A4%3F%23/similar?limit=5`);
    }),
    90_000,
  );

  it(
    "shows the API's 409 in the dialog for a ticket not processed yet",
    timed("correct-409", async () => {
      const base = system.api.base;
      await system.worker.stop(); // nothing processes it meanwhile
      expect((await submit(base, "E2E-L-WAIT", "Invoice question", "Where is my invoice for March?")).status).toBe(202);
      await page.fill("#tv-input", "E2E-L-WAIT");
      await page.click("#tv-form button[type=submit]");
      await page.locator("#tv-id", { hasText: /^E2E-L-WAIT$/ }).waitFor();
      expect(await text("#tv-status")).toBe("accepted");
      expect(await text("#tv-how")).toBe("not scored yet (accepted)");
      // No embedding yet: the similar list says why.
      await page.locator("#tv-similar-msg", { hasText: "not processed yet" }).waitFor();
      await page.click("#tv-wrong");
      await page.waitForSelector("#label-dialog[open]");
      expect(await text("#label-text")).toContain("the model said not scored yet");
      await page.locator("#label-dialog").getByLabel("Billing", { exact: true }).check();
      await page.click("#label-ok");
      // The server's message, in the dialog, which stays open to try again or cancel.
      await page.locator("#label-error", { hasText: "Ticket 'E2E-L-WAIT' is not processed yet" }).waitFor();
      expect(await text("#label-error")).toMatch(/\(HTTP 409\)$/);
      expect(await page.locator("#label-dialog[open]").count()).toBe(1);
      await page.screenshot({ path: join(SHOTS, "1280x800-label-409.png") });
      await page.keyboard.press("Escape");
      expect(await page.locator("#label-dialog[open]").count()).toBe(0);
      expect(await activeId()).toBe("tv-wrong");
      expect((await getJson(`${base}/tickets/E2E-L-WAIT`)).correction).toBeNull();
      // Processed once a worker runs again: the view follows, and the similar tickets come.
      system.worker = startWorker(system.sys.rt);
      await page.locator("#tv-status", { hasText: /^processed$/ }).waitFor({ timeout: 20_000 });
      await page.locator("#tv-similar-list li").first().waitFor({ timeout: 15_000 });
      expect(await page.locator("#tv-cat").isVisible()).toBe(true);
    }),
    60_000,
  );

  it(
    "lists v1 as active in the Models panel and, after activating another version (confirmed first), shows the switch",
    timed("models", async () => {
      const base = system.api.base;
      // v1, the shipped heads, registered by the worker.
      const v1 = page.locator("#models-list li[data-key='v1']");
      await v1.waitFor({ timeout: 30_000 });
      await page.locator("#models-active", { hasText: /^v1$/ }).waitFor();
      expect(await v1.getAttribute("data-active")).toBe("true");
      expect(await v1.locator(".verdict").textContent()).toBe("shipped");
      expect(await v1.locator(".active-tag").isVisible()).toBe(true);
      expect(await v1.locator(".activate").isHidden()).toBe(true);
      expect(await v1.locator("[data-key='category_accuracy'] dd").textContent()).toMatch(/^\d{1,3}\.\d%$/);
      expect(await v1.locator("[data-key='urgency_auc'] dd").textContent()).toMatch(/^(0|1)\.\d{3}$/);

      // Another version, straight through the store: v1's own weights, refused by a made-up guard.
      const rt = system.sys.rt;
      const heads = await headsWeights(rt, "v1");
      expect(heads).not.toBeNull();
      const heldout = { category_accuracy: 0.9, category_macro_f1: 0.89, urgency_accuracy: 0.8, urgency_auc: 0.85 };
      const corrections = { fields: 4, accuracy: 0.75, log_loss: 0.6, current_accuracy: 0.5, current_log_loss: 0.9, fixed: 1, broken: 0, p_value: 0.5 };
      const added = await addHeadsVersion(rt, {
        heads: heads!,
        metrics: { heldout, corrections },
        promote: false,
        reasons: ["test: <b>refused</b> on purpose"],
        corrections: 2,
        c: { english: { category: 1, urgency: 1 }, other: { category: 1, urgency: 1 } },
        basedOn: "v1",
        now: new Date(),
      });
      expect(added).toMatchObject({ version: "v2", promoted: false });
      // The heads_retrained event makes the panel read the list again.
      const v2 = page.locator("#models-list li[data-key='v2']");
      await v2.waitFor({ timeout: 15_000 });
      expect(await page.locator("#models-list li").first().getAttribute("data-key")).toBe("v2"); // newest first
      expect(await v2.getAttribute("data-active")).toBe("false");
      expect(await v2.locator(".verdict").textContent()).toBe("refused");
      expect(await v2.locator(".vmeta").textContent()).toMatch(/^retrained · created \d\d:\d\d:\d\d \(\d+ s ago\) · 2 corrections trained on · compared with v1$/);
      expect(await v2.locator("[data-key='category_accuracy'] dd").textContent()).toBe("90.0%");
      expect(await v2.locator(".corr-figs").textContent()).toBe(
        "On 4 held-out corrected fields: 75.0% right (v1 50.0%) · log loss 0.600 (v1 0.900) · fixed 1, broke 0 · p = 0.500",
      );
      // The guard's reason, as text.
      expect(await v2.locator(".reasons li").textContent()).toBe("test: <b>refused</b> on purpose");
      expect(await v2.locator(".reasons b").count()).toBe(0);

      const activations: string[] = [];
      page.on("request", (r) => {
        if (r.method() === "POST" && r.url().endsWith("/activate")) activations.push(r.url().replace(/^.*\/models\//, ""));
      });
      // Cancel first: nothing changes.
      await v2.getByRole("button", { name: "Activate v2" }).click();
      await page.waitForSelector("#confirm-dialog[open]");
      expect(await text("#confirm-title")).toBe("Activate v2?");
      expect(await text("#confirm-text")).toContain("The guard refused it: test: <b>refused</b> on purpose.");
      await page.click("#confirm-cancel");
      expect(activations).toEqual([]);
      await v2.getByRole("button", { name: "Activate v2" }).click();
      await page.waitForSelector("#confirm-dialog[open]");
      await page.screenshot({ path: join(SHOTS, "1280x800-activate-confirm.png") });
      await page.click("#confirm-ok");
      await page.locator("#models-msg", { hasText: "v2 is active (was v1)." }).waitFor();
      expect(activations).toEqual(["v2/activate"]);
      await page.locator("#models-list li[data-key='v2'][data-active='true']").waitFor();
      await page.locator("#models-active", { hasText: /^v2$/ }).waitFor();
      expect(await v1.getAttribute("data-active")).toBe("false");
      expect(await v1.locator(".active-tag").isHidden()).toBe(true);
      expect(await v1.locator(".activate").isVisible()).toBe(true);
      expect(await v2.locator(".activate").isHidden()).toBe(true);
      expect(await page.evaluate<boolean>("document.activeElement.classList.contains('vname')")).toBe(true);
      expect((await getJson(`${base}/models`)).active).toBe("v2");
      await page.locator("#activity-list li[data-type='model_version_activated']").first().waitFor();

      // "Retrain now" queues a job for a worker.
      await page.click("#retrain-btn");
      await page.locator("#models-msg", { hasText: /^Retrain queued \(job retrain_[\w-]+\)/ }).waitFor();
    }),
    90_000,
  );

  it(
    "renders the Ticket and Models views at 1280×800 and 390×844",
    timed("screenshots-3", async () => {
      for (const [label, size] of [["1280x800", DESKTOP], ["390x844", PHONE]] as const) {
        await page.setViewportSize(size);
        await page.waitForTimeout(300);
        for (const view of ["ticket-view", "models", "queue"]) {
          const section = page.locator(`#${view}`);
          expect(await section.isVisible()).toBe(true);
          await section.screenshot({ path: join(SHOTS, `${label}-${view}-corrections.png`) });
        }
        expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(size.width);
        for (const sel of ["#queue-list .wrong", "#tv-wrong", "#retrain-btn", "#models-list .activate:visible"]) {
          const box = await page.locator(sel).first().boundingBox();
          expect(box!.height).toBeGreaterThanOrEqual(34);
        }
      }
      await page.setViewportSize(DESKTOP);
    }),
  );

  it("logged no console errors but the ones provoked", () => {
    // The 401 that asked for the key in this origin, and the 409s of the ticket not processed yet (its label, its similar).
    const expected = [
      /status of 401 .*@ http:\/\/127\.0\.0\.1:\d+\/tickets\/E2E-L-1\/label$/,
      /status of 409 .*@ http:\/\/127\.0\.0\.1:\d+\/tickets\/E2E-L-WAIT\/label$/,
      /status of 409 .*@ http:\/\/127\.0\.0\.1:\d+\/tickets\/E2E-L-WAIT\/similar\?limit=5$/,
    ];
    const mine = consoleErrors.slice(errorsBefore);
    expect(mine.filter((e) => !expected.some((re) => re.test(e)))).toEqual([]);
  });
});
