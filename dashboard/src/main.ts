import "./styles.css";
import { api, describe } from "./api.js";
import { byId, clock, setText } from "./dom.js";
import type { ActivityEvent, Agent, MasterIncident, Metrics, RoutedTicket, Snapshot } from "./types.js";
import { setupActivity } from "./views/activity.js";
import { setupAgents } from "./views/agents.js";
import { setupBreaker } from "./views/breaker.js";
import { setupChart } from "./views/chart.js";
import { setupIncidents } from "./views/incidents.js";
import { setupQueue } from "./views/queue.js";
import { setupSubmit } from "./views/submit.js";

// Live updates are short polls, every POLL_MS, from this one place for every view. Not SSE or WebSockets on
// purpose: the same page works unchanged behind API Gateway + Lambda, where a response cannot be held open
// as an event stream; a poll is five small GETs to the API's own routes. Polling pauses while the tab is
// hidden and catches up at once when it comes back.
const POLL_MS = 2000;

const conn = byId("conn");
const banner = byId("global-error");

function status(state: "live" | "paused" | "error" | "connecting", text: string): void {
  conn.dataset.state = state;
  setText(conn, text);
}

async function fetchSnapshot(): Promise<Snapshot> {
  const [queue, metrics, incidents, agents, activity] = await Promise.all([
    api<RoutedTicket[]>("GET", "/queue?limit=50"),
    api<Metrics>("GET", "/metrics"),
    api<MasterIncident[]>("GET", "/incidents?limit=50"),
    api<Agent[]>("GET", "/agents"),
    api<{ events: ActivityEvent[] }>("GET", "/activity?limit=30"),
  ]);
  return { queue, metrics, incidents, agents, activity: activity.events };
}

let renderers: ((s: Snapshot) => void)[] = [];
let timer: number | undefined;
let inFlight: Promise<void> | null = null;
let again = false;

/** Fetches everything once and renders every view; calls during a refresh coalesce into one more. */
function refresh(): Promise<void> {
  if (inFlight) {
    again = true;
    return inFlight;
  }
  window.clearTimeout(timer);
  inFlight = (async () => {
    try {
      const snap = await fetchSnapshot();
      for (const render of renderers) render(snap);
      banner.hidden = true;
      status("live", `Live · updated ${clock(new Date().toISOString())}`);
    } catch (err) {
      banner.hidden = false;
      setText(banner, `Could not refresh: ${describe(err)}. Retrying every ${POLL_MS / 1000} s.`);
      status("error", "Disconnected");
    } finally {
      inFlight = null;
      if (again) {
        again = false;
        void refresh();
      } else schedule();
    }
  })();
  return inFlight;
}

function schedule(): void {
  window.clearTimeout(timer);
  if (document.hidden) {
    status("paused", "Paused while the tab is hidden");
    return;
  }
  timer = window.setTimeout(() => void refresh(), POLL_MS);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) schedule();
  else void refresh();
});

const requestRefresh = () => void refresh();
renderers = [
  setupQueue(requestRefresh),
  setupIncidents(requestRefresh),
  setupAgents(requestRefresh),
  setupBreaker(),
  setupActivity(),
  setupChart(),
];
setupSubmit(requestRefresh);
void refresh();
