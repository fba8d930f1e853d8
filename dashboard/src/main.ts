import "./styles.css";
import { api, apiPage, describe } from "./api.js";
import { byId, clock, setText } from "./dom.js";
import { Ledger } from "./ledger.js";
import type { ActivityEvent, Agent, AgentWork, MasterIncident, Metrics, ModelsList, ModelsState, Offer, RoutedTicket, Snapshot } from "./types.js";
import { setupActivity } from "./views/activity.js";
import { setupAgents } from "./views/agents.js";
import { setupBreaker } from "./views/breaker.js";
import { setupChart } from "./views/chart.js";
import { setupIncidents } from "./views/incidents.js";
import { setupModels } from "./views/models.js";
import { setupOffers } from "./views/offers.js";
import { setupQueue } from "./views/queue.js";
import { setupSubmit } from "./views/submit.js";
import { loadTicket, setupTicket } from "./views/ticket.js";
import { loadWork, setupWork } from "./views/work.js";

// Live updates are short polls, every POLL_MS, from this one place for every view. Not SSE or WebSockets on
// purpose: the same page works unchanged behind API Gateway + Lambda, where a response cannot be held open
// as an event stream; a poll is five small GETs to the API's own routes, then the pending offers of the agents
// holding capacity (an offer holds a unit, so an idle agent has none), the selected agent's tickets, the ticket
// the Ticket view shows and, when they may have changed, the heads versions (GET /models). Polling pauses while
// the tab is hidden and catches up at once when it comes back.
const POLL_MS = 2000;
/** Events the Activity view lists; the first page read is larger, for the ledger. */
const FEED = 30;
/** Agents whose offers are read per poll. */
const MAX_OFFER_AGENTS = 100;
/** GET /models is read when the active version or the learning events change, after the panel's actions, else this often. */
const MODELS_MS = 15_000;

const conn = byId("conn");
const banner = byId("global-error");

function status(state: "live" | "paused" | "error" | "connecting", text: string): void {
  conn.dataset.state = state;
  setText(conn, text);
}

const ledger = new Ledger();
let lastWork: AgentWork | null = null;

let models: ModelsState = { list: null, error: null };
let modelsReadAt = 0;
let modelsLearning = -1;
let modelsStale = true;

/** The heads versions, re-read only when something says they changed (or MODELS_MS passed); an error stays the panel's. */
async function readModels(metrics: Metrics, learning: number): Promise<ModelsState> {
  const changed = models.list !== null && metrics.heads_version !== undefined && metrics.heads_version !== models.list.active;
  // No version listed yet: v1 appears once a worker has registered it, which no event announces.
  const none = models.list?.versions.length === 0;
  if (!modelsStale && !changed && !none && learning === modelsLearning && Date.now() - modelsReadAt < MODELS_MS) return models;
  modelsStale = false;
  modelsReadAt = Date.now();
  try {
    models = { list: await api<ModelsList>("GET", "/models"), error: null };
    modelsLearning = learning;
  } catch (err) {
    models = { list: models.list, error: describe(err) };
  }
  return models;
}

async function fetchSnapshot(): Promise<Snapshot> {
  const [queue, metrics, incidents, agents, activity] = await Promise.all([
    api<RoutedTicket[]>("GET", "/queue?limit=50"),
    api<Metrics>("GET", "/metrics"),
    api<MasterIncident[]>("GET", "/incidents?limit=50"),
    api<Agent[]>("GET", "/agents"),
    apiPage<{ events: ActivityEvent[] }>("/activity?limit=100"),
  ]);
  const holding = agents.filter((a) => a.current_load > 0).slice(0, MAX_OFFER_AGENTS);
  const agentId = work.selected();
  const ticketId = ticket.selected();
  const [offerLists, agentWork, , shown, modelsNow] = await Promise.all([
    Promise.all(holding.map((a) => api<Offer[]>("GET", `/agents/${encodeURIComponent(a.agent_id)}/offers?limit=100`))),
    agentId && agents.some((a) => a.agent_id === agentId) ? loadWork(agentId, queue, lastWork) : Promise.resolve(null),
    ledger.absorb(activity.body.events, activity.next),
    ticketId ? loadTicket(ticketId) : Promise.resolve(null),
    // The learning events the ledger had counted before this poll: new ones make the next poll re-read.
    readModels(metrics, ledger.view().learning),
  ]);
  lastWork = agentWork;
  const offers = new Map(holding.map((a, i) => [a.agent_id, offerLists[i] ?? []]));
  return {
    queue,
    metrics,
    incidents,
    agents,
    activity: activity.body.events.slice(0, FEED),
    offers,
    ledger: ledger.view(),
    work: agentWork,
    ticket: shown,
    models: modelsNow,
  };
}

let renderers: ((s: Snapshot) => void)[] = [];
let timer: number | undefined;
let inFlight: Promise<void> | null = null;
let again = false;
let followUp: Promise<void> | null = null;

/**
 * Fetches everything once and renders every view; calls during a refresh coalesce into one more, and their
 * promise settles when that one has rendered (so an action's `await refresh()` sees its own effect).
 */
function refresh(): Promise<void> {
  if (inFlight) {
    again = true;
    followUp ??= inFlight.then(() => inFlight ?? undefined);
    return followUp;
  }
  followUp = null;
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
const ticket = setupTicket(refresh);
const work = setupWork(refresh, ticket.show);
renderers = [
  setupQueue(requestRefresh, ticket.show),
  setupIncidents(requestRefresh),
  setupAgents(requestRefresh, work.show),
  setupOffers(refresh),
  work.render,
  ticket.render,
  setupModels(refresh, () => (modelsStale = true)),
  setupBreaker(),
  setupActivity(),
  setupChart(),
];
setupSubmit(requestRefresh);
void refresh();
