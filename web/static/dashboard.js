// The pair-aidants' dashboard: duty per room, the moderation queue live over /ws (protocol §8),
// and one item at a time with its context, the pseudonym's earlier items and the team's notes.
//
// The websocket says hello with `"staff": true`: the server opens the session of the HttpOnly
// login cookie, and the page never holds the login token. Items come as `alert` (new, or sent
// again after going on duty or a reconnection) and `item` (changed); delivery is at least once,
// so everything is keyed by item id. User text only ever goes in as text (dom.js).

import "./staff-i18n.js";
import { h, replaceChildren, setText, local, session } from "./dom.js";
import { t, has, lang, onLangChange, formatTime, formatDateTime } from "./i18n.js";
import { api, ApiError, errorText, initStaffPage, whoAmI } from "./staff.js";
import { ChatSocket } from "./socket.js";

const $ = (id) => document.getElementById(id);

const DUTY_KEY = "entraide.dashboard.duty";   // sessionStorage: {all, rooms} this tab keeps duty for
// localStorage: "0" once the helper turned the crisis sound off; on otherwise, so that a helper
// on duty who never looked at the box still hears an alert that arrives while they are in another tab.
const SOUND_KEY = "entraide.dashboard.sound";
const MAX_DONE = 30;
const NOTE_REQUIRED = new Set(["timeout", "kick", "ban"]);
const ACTIONS = ["dismiss", "approve", "hide", "warn", "timeout", "kick", "ban", "escalate"];
const DURATIONS = {
  timeout: [[300, "dash.dur.min", 5], [600, "dash.dur.min", 10], [1800, "dash.dur.min", 30],
    [3600, "dash.dur.h", 1], [86400, "dash.dur.h", 24]],
  ban: [[3600, "dash.dur.h", 1], [86400, "dash.dur.h", 24], [604800, "dash.dur.d", 7],
    [2592000, "dash.dur.d", 30], ["", "dash.dur.forever", 0]],
};
const DEFAULT_DURATION = { timeout: 600, ban: 86400 };

const els = {
  who: $("who"),
  status: $("status"),
  statusText: $("status-text"),
  consoleLink: $("console-link"),
  banner: $("crisis-banner"),
  bannerText: $("crisis-banner-text"),
  bannerOpen: $("crisis-banner-open"),
  dutyAll: $("duty-all"),
  dutyList: $("duty-list"),
  dutyStatus: $("duty-status"),
  sound: $("sound-toggle"),
  queueTitle: $("queue-title"),
  queue: $("queue"),
  queueEmpty: $("queue-empty"),
  done: $("done"),
  detail: $("detail"),
  detailTitle: $("detail-title"),
  detailHint: $("detail-hint"),
  detailBody: $("detail-body"),
  detailMeta: $("detail-meta"),
  detailMessage: $("detail-message"),
  detailReasons: $("detail-reasons"),
  detailStatus: $("detail-status"),
  claim: $("claim"),
  release: $("release"),
  actForm: $("act-form"),
  actChoices: $("act-choices"),
  durationField: $("duration-field"),
  duration: $("act-duration"),
  note: $("act-note"),
  noteHint: $("act-note-hint"),
  actError: $("act-error"),
  actSubmit: $("act-submit"),
  contextStatus: $("context-status"),
  context: $("context"),
  earlier: $("earlier"),
  notes: $("notes"),
  noteForm: $("note-form"),
  noteText: $("note-text"),
  noteError: $("note-error"),
  noteSubmit: $("note-submit"),
  announcer: $("announcer"),
  tete: $("tete"),
  teteTitle: $("tete-title"),
  teteInvite: $("tete-invite"),
  teteIntro: $("tete-intro"),
  teteStatus: $("tete-status"),
  teteOpenLine: $("tete-open-line"),
  teteOpen: $("tete-open"),
};

const state = {
  me: null,
  rooms: [],                 // [{slug, title, lang}] this person may moderate
  titles: new Map(),         // slug -> title, for every room the server lists
  duty: readDuty(),          // what this tab wants: { all: bool, rooms: [slug] }
  onDuty: new Set(),         // what the server confirmed
  dutyBusy: false,
  dutyPending: new Map(),    // slug -> on, while a duty request waits for its answer
  items: new Map(),          // id -> <item>, unresolved
  done: [],                  // resolved items seen on this page, newest first
  selected: null,            // item id in the detail pane
  context: null,             // the last /context answer of the selected item
  contextFor: null,
  signalled: new Set(),      // crisis items already signalled (banner, sound)
  openCue: "",               // sr text for the visible selection
  // Tête-à-têtes this helper offered, by item id: {room, state, with, reason} from the invite's
  // ack and the private_room frames (sent again at each hello while pending or open).
  tete: new Map(),
  teteBusy: false,
  teteError: null,           // { id, text }: the last refusal, shown on that item
};

// -- small helpers ---------------------------------------------------------------------------------

function readDuty() {
  const stored = session.getJSON(DUTY_KEY, null);
  if (stored && typeof stored === "object" && Array.isArray(stored.rooms)) {
    return { all: stored.all === true, rooms: stored.rooms.filter((r) => typeof r === "string") };
  }
  return { all: false, rooms: [] };
}

function saveDuty() {
  session.setJSON(DUTY_KEY, state.duty);
}

function roomTitle(slug) {
  return state.titles.get(slug) || slug;
}

function mayModerate(slug) {
  return state.me && (state.me.rooms === "all" || (Array.isArray(state.me.rooms) && state.me.rooms.includes(slug)));
}

function keyOr(key, fallback, params) {
  return has(key) ? t(key, params) : fallback;
}

function kindName(kind) {
  return keyOr(`dash.kind.${kind}`, String(kind));
}

function actionName(action, kind) {
  if (action === "dismiss" && kind === "held") return t("dash.action.reject");
  return keyOr(`dash.action.${action}`, String(action));
}

/** The checks write reasons as "kind" or "kind: value" in English; shown in the page's language. */
function reasonText(reason) {
  const text = String(reason);
  const cut = text.indexOf(": ");
  if (cut > 0) {
    const prefix = text.slice(0, cut);
    const value = text.slice(cut + 2);
    if (!has(`dash.rp.${prefix}`)) return text;
    // A reporter's own words stay as they are.
    return t(`dash.rp.${prefix}`, { value: prefix === "report" ? value : keyOr(`dash.rv.${value}`, value) });
  }
  return keyOr(`dash.rv.${text}`, text);
}

function itemNumber(item) {
  return t("dash.item.number", { id: item.id });
}

function byQueueOrder(a, b) {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return Number(a.id) - Number(b.id);
}

function announce(text) {
  // A fresh node each time so that the same sentence twice is read twice.
  replaceChildren(els.announcer, h("span", null, text));
}

function validItem(item) {
  return item && typeof item === "object" && typeof item.id === "string" && typeof item.room === "string"
    && item.message && typeof item.message === "object";
}

// -- the connection ------------------------------------------------------------------------------------

const socket = new ChatSocket({
  locale: () => lang(),
  staff: () => true,
  onBadToken: () => {
    socket.stop("logged_out");
    location.assign("/login?next=/staff");
  },
  onReady: (welcome) => {
    if (welcome.role !== "helper" && welcome.role !== "admin") {
      socket.stop("not_staff");
      location.assign("/login?next=/staff");
      return;
    }
    applyDuty();
  },
  onFrame: (frame) => handleFrame(frame),
  onState: () => renderStatus(),
});

function renderStatus() {
  let dataState = "connecting";
  let key = socket.everReady ? "status.reconnecting" : "status.connecting";
  if (socket.state === "open") {
    dataState = "open";
    key = "status.open";
  } else if (socket.state === "stopped") {
    dataState = "closed";
    key = "status.closed";
  } else if (navigator.onLine === false) {
    key = "status.offline";
  }
  els.status.dataset.state = dataState;
  setText(els.statusText, t(key));
  renderControls();
}

/** After every welcome: forget what this connection did not confirm, and ask for duty again. */
async function applyDuty() {
  state.items.clear();
  state.onDuty.clear();
  renderAll();
  const wanted = state.duty.all ? "all" : state.duty.rooms.filter(mayModerate);
  if (wanted !== "all" && wanted.length === 0) return;
  await sendDuty(true, wanted, { quiet: true });
}

async function sendDuty(on, rooms, { quiet = false } = {}) {
  state.dutyBusy = true;
  for (const slug of rooms === "all" ? state.rooms.map((r) => r.slug) : rooms) state.dutyPending.set(slug, on);
  renderDuty();
  let reply;
  try {
    reply = await socket.request({ type: "duty", on, rooms });
  } catch {
    reply = null;
  }
  state.dutyBusy = false;
  state.dutyPending.clear();
  if (reply === null) {
    renderDuty();
    if (!quiet) sayDuty(t("err.disconnected"), "error");
    return false;
  }
  if (reply.type === "duty") {
    dutyChanged(reply);
    if (!quiet) sayDuty(on ? t("dash.duty.onDone") : t("dash.duty.offDone"));
    return true;
  }
  renderDuty();
  sayDuty(reply.code === "forbidden" ? t("err.forbidden") : errorText(reply), "error");
  return false;
}

function sayDuty(text, kind = "status") {
  els.dutyStatus.dataset.kind = kind;
  setText(els.dutyStatus, text);
}

function dutyChanged(frame) {
  const rooms = Array.isArray(frame.rooms) ? frame.rooms : [];
  for (const slug of rooms) {
    if (frame.on) state.onDuty.add(slug);
    else state.onDuty.delete(slug);
  }
  if (!frame.on) {
    for (const [id, item] of state.items) {
      if (rooms.includes(item.room) && !(item.escalation > 0)) state.items.delete(id);
    }
  }
  renderAll();
}

function handleFrame(frame) {
  switch (frame.type) {
    case "alert":
    case "item":
      if (validItem(frame.item)) itemArrived(frame.item, frame.type === "alert");
      break;
    case "duty":
      // Another tab of the same login changed the duty (it belongs to the session).
      dutyChanged(frame);
      break;
    case "private_room":
      privateRoomArrived(frame);
      break;
    default:
      break; // room frames and newer types are not for this page
  }
}

function itemArrived(item, alert) {
  const known = state.items.get(item.id);
  if (item.state === "resolved") {
    state.items.delete(item.id);
    if (!state.done.some((d) => d.id === item.id)) {
      state.done.unshift(item);
      state.done.length = Math.min(state.done.length, MAX_DONE);
    } else {
      state.done = state.done.map((d) => (d.id === item.id ? item : d));
    }
  } else {
    state.items.set(item.id, item);
    if (!known && alert) {
      if (item.priority >= 3) {
        crisisCue(item);
      } else if (!state.signalled.has(item.id)) {
        state.signalled.add(item.id);
        announce(t("dash.announce.new", { kind: kindName(item.kind), room: roomTitle(item.room) }));
      }
    }
  }
  renderQueue();
  renderBanner();
  if (state.selected === item.id) renderDetail();
}

// -- crisis cue: visual always, a short sound unless turned off ------------------------------------------

let audio = null;

function audioContext() {
  if (audio) return audio;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  try {
    audio = new Ctx();
  } catch {
    audio = null;
  }
  return audio;
}

function beep() {
  const ctx = audioContext();
  if (!ctx) return;
  if (ctx.state === "suspended") ctx.resume().catch(() => {});
  const start = ctx.currentTime + 0.02;
  for (const [offset, freq] of [[0, 880], [0.22, 660]]) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + offset);
    osc.stop(start + offset + 0.2);
  }
}

function crisisCue(item) {
  if (state.signalled.has(item.id)) return;
  state.signalled.add(item.id);
  if (els.sound.checked) beep();
}

function openCrises() {
  return [...state.items.values()].filter((i) => i.priority >= 3 && i.state === "open").sort(byQueueOrder);
}

function renderBanner() {
  const crises = openCrises();
  els.banner.hidden = crises.length === 0;
  document.body.classList.toggle("has-crisis", crises.length > 0);
  const base = t("dash.docTitle");
  document.title = crises.length ? `(${crises.length}) ⚠ ${base}` : base;
  if (crises.length) {
    const first = crises[0];
    setText(els.bannerText, t("dash.crisis.banner", {
      n: crises.length, room: roomTitle(first.room), name: first.message.author ? first.message.author.pseudonym : "",
    }));
  }
}

els.bannerOpen.addEventListener("click", () => {
  const first = openCrises()[0];
  if (first) select(first.id, { focus: true });
});

els.sound.checked = local.get(SOUND_KEY) !== "0";
els.sound.addEventListener("change", () => {
  local.set(SOUND_KEY, els.sound.checked ? "1" : "0");
  if (els.sound.checked) beep(); // a user gesture: the browser lets the page play, and one hears what it is
});
// A page opened with the sound on needs one gesture before it may play: taking a duty is one.
document.addEventListener("pointerdown", () => {
  if (els.sound.checked && audio === null) audioContext();
  if (audio && audio.state === "suspended") audio.resume().catch(() => {});
}, { once: false, passive: true });

// -- duty ---------------------------------------------------------------------------------------------------

function renderDuty() {
  const busy = state.dutyBusy || socket.state !== "open";
  els.dutyAll.checked = state.duty.all;
  els.dutyAll.disabled = busy;
  const ids = new Set();
  for (const room of state.rooms) {
    const id = `duty-${room.slug}`;
    ids.add(id);
    let box = $(id);
    if (!box) {
      box = h("input", { type: "checkbox", id, "data-slug": room.slug });
      els.dutyList.appendChild(h("li", { class: "check" }, box, h("label", { for: id, lang: room.lang || null }, room.title)));
    }
    box.checked = state.dutyPending.has(room.slug) ? state.dutyPending.get(room.slug) : state.onDuty.has(room.slug);
    box.disabled = busy;
  }
  for (const box of els.dutyList.querySelectorAll("input")) {
    if (!ids.has(box.id)) box.closest("li").remove();
  }
}

els.dutyAll.addEventListener("change", async () => {
  const on = els.dutyAll.checked;
  state.duty = on ? { all: true, rooms: [] } : { all: false, rooms: [] };
  saveDuty();
  const ok = await sendDuty(on, "all");
  if (!ok) {
    state.duty = { all: !on, rooms: [] };
    saveDuty();
  }
  renderDuty();
});

els.dutyList.addEventListener("change", async (event) => {
  const box = event.target.closest("input[data-slug]");
  if (!box) return;
  const slug = box.dataset.slug;
  const on = box.checked;
  const rooms = new Set(state.duty.all ? state.onDuty : state.duty.rooms);
  if (on) rooms.add(slug);
  else rooms.delete(slug);
  state.duty = { all: false, rooms: [...rooms] };
  saveDuty();
  await sendDuty(on, [slug]);
  renderDuty();
});

// -- the queue ----------------------------------------------------------------------------------------------

function itemSummary(item) {
  const author = (item.message.author && item.message.author.pseudonym) || "";
  const cw = typeof item.message.cw === "string" && item.message.cw.trim() ? item.message.cw : null;
  const text = cw ? t("dash.cw", { cw }) : String(item.message.text || "");
  return { author, text, cw };
}

function stateText(item) {
  if (item.state === "resolved") {
    return t("dash.state.resolved", { action: actionName(item.resolution, item.kind), name: item.claimed_by || "" });
  }
  if (item.state === "claimed") {
    return item.claimed_by === (state.me && state.me.username)
      ? t("dash.state.claimedByMe") : t("dash.state.claimed", { name: item.claimed_by || "" });
  }
  return t("dash.state.open");
}

function priorityBadge(item) {
  return h("span", { class: `prio prio-${Number(item.priority) || 0}` },
    keyOr(`dash.prio.${item.priority}`, t("dash.prio.n", { n: item.priority })));
}

function queueRow(item, { done = false } = {}) {
  const { author, text, cw } = itemSummary(item);
  const selected = state.selected === item.id;
  const classes = ["queue-item", `p${Number(item.priority) || 0}`, `state-${item.state}`];
  if (item.priority >= 3 && item.state !== "resolved") classes.push("is-crisis");
  const button = h("button", {
    type: "button", class: "queue-open", "data-id": item.id, "aria-current": selected ? "true" : null,
  },
  h("span", { class: "q-head" },
    priorityBadge(item),
    h("span", { class: "q-kind" }, kindName(item.kind)),
    h("span", { class: "q-room" }, roomTitle(item.room)),
    h("time", { class: "q-time", datetime: item.created, title: formatDateTime(item.created) }, formatTime(item.created)),
    item.escalation > 0 ? h("span", { class: "badge q-escalated" }, t("dash.escalated")) : null),
  h("span", { class: "q-author" }, author),
  h("span", { class: cw ? "q-text q-cw" : "q-text" }, text),
  item.reasons && item.reasons.length
    ? h("span", { class: "q-reasons" }, item.reasons.map(reasonText).join(" · ")) : null,
  h("span", { class: "q-state" }, stateText(item)),
  state.tete.has(item.id) ? h("span", { class: "q-tete" }, t(`dash.tete.row.${state.tete.get(item.id).state}`)) : null);
  return h("li", { class: classes.join(" "), "data-id": item.id, "data-priority": item.priority, "data-done": done ? "true" : null }, button);
}

function renderQueue() {
  const focusedId = document.activeElement && document.activeElement.classList.contains("queue-open")
    ? document.activeElement.dataset.id : null;
  const items = [...state.items.values()].sort(byQueueOrder);
  replaceChildren(els.queue, items.map((item) => queueRow(item)));
  replaceChildren(els.done, state.done.map((item) => queueRow(item, { done: true })));
  $("done-details").hidden = state.done.length === 0;
  let empty = "";
  if (items.length === 0) {
    empty = state.onDuty.size === 0 ? t("dash.queue.offDuty") : t("dash.queue.empty");
  }
  els.queueEmpty.hidden = empty === "";
  setText(els.queueEmpty, empty);
  if (focusedId) {
    const again = document.querySelector(`.queue-open[data-id="${CSS.escape(focusedId)}"]`);
    if (again) again.focus();
  }
}

function onQueueClick(event) {
  const button = event.target.closest("button.queue-open");
  if (button) select(button.dataset.id, { focus: true });
}

els.queue.addEventListener("click", onQueueClick);
els.done.addEventListener("click", onQueueClick);

function findItem(id) {
  return state.items.get(id) || state.done.find((d) => d.id === id) || null;
}

// -- one item -------------------------------------------------------------------------------------------------

function select(id, { focus = false } = {}) {
  const changed = state.selected !== id;
  state.selected = id;
  if (changed) {
    state.teteError = null;
    state.context = null;
    state.contextFor = null;
    els.note.value = "";
    setText(els.actError, "");
    setText(els.detailStatus, "");
    setText(els.noteError, "");
    els.noteText.value = "";
    buildActions(findItem(id));
  }
  renderQueue();
  renderDetail();
  if (changed) loadContext(id);
  if (focus) {
    els.detail.focus();
    els.detail.scrollIntoView({ block: "nearest" });
  }
}

function renderDetail() {
  const item = state.selected ? findItem(state.selected) : null;
  els.detailBody.hidden = !item;
  els.detailHint.hidden = Boolean(item);
  if (!item) {
    setText(els.detailTitle, t("dash.detail.none"));
    return;
  }
  setText(els.detailTitle, `${kindName(item.kind)} · ${roomTitle(item.room)} · ${itemNumber(item)}`);
  replaceChildren(els.detailMeta,
    priorityBadge(item), " ",
    h("span", null, t("dash.detail.created", { when: formatDateTime(item.created) })), " · ",
    h("strong", { class: "detail-state" }, stateText(item)),
    item.escalation > 0 ? [" · ", h("span", { class: "badge q-escalated" }, t("dash.escalated"))] : null);
  replaceChildren(els.detailMessage, messageView({
    author: item.message.author || {}, text: item.message.text, cw: item.message.cw, id: item.message.id,
  }, { focus: true, held: item.message.id === null }));
  replaceChildren(els.detailReasons,
    (item.reasons || []).length ? item.reasons.map((r) => h("li", null, reasonText(r))) : h("li", null, t("dash.reason.none")));
  renderControls();
}

/** Claim, release and the decision form, as the item and the connection allow. */
function renderControls() {
  const item = state.selected ? findItem(state.selected) : null;
  if (!item) return;
  const me = state.me && state.me.username;
  const offline = socket.state !== "open";
  const mine = item.state === "claimed" && item.claimed_by === me;
  const other = item.state === "claimed" && item.claimed_by !== me;
  const resolved = item.state === "resolved";
  els.claim.hidden = item.state !== "open";
  els.release.hidden = !mine;
  els.claim.disabled = offline;
  els.release.disabled = offline;
  els.actForm.hidden = resolved;
  const fields = els.actForm.querySelectorAll("input, select, textarea, button");
  for (const field of fields) field.disabled = offline || other;
  if (other && !resolved) {
    sayDetail(t("dash.otherHas", { name: item.claimed_by || "" }));
  }
  renderTete();
}

// -- tête-à-tête: a private conversation with the item's author (docs/protocol.md) --------------------

const TETE_STATES = new Set(["invited", "open", "declined", "expired", "closed"]);

function teteText(tete) {
  const name = tete.with || t("dash.tete.person");
  if (tete.state === "closed" && tete.reason === "left") return t("dash.tete.closedLeft");
  if (tete.state === "closed" && tete.reason === "absent") return t("dash.tete.closedAbsent");
  return t(`dash.tete.${tete.state}`, { name });
}

/** The item's tête-à-tête block: the offer button (first of all on a crisis), its state, the link. */
function renderTete() {
  const item = state.selected ? findItem(state.selected) : null;
  if (!item) {
    els.tete.hidden = true;
    return;
  }
  const me = state.me && state.me.username;
  const tete = state.tete.get(item.id) || null;
  const role = item.message.author && item.message.author.role;
  const team = role === "helper" || role === "admin";
  const other = item.state === "claimed" && item.claimed_by !== me;
  const live = tete !== null && (tete.state === "invited" || tete.state === "open");
  const error = state.teteError && state.teteError.id === item.id ? state.teteError.text : null;
  const canInvite = item.state !== "resolved" && !team && !other && !live;
  els.tete.hidden = !canInvite && tete === null && error === null;
  const crisis = Number(item.priority) >= 3;
  els.tete.classList.toggle("is-crisis", crisis);
  els.teteInvite.classList.toggle("primary", crisis);
  els.teteInvite.hidden = !canInvite;
  els.teteIntro.hidden = !canInvite;
  els.teteInvite.parentElement.hidden = !canInvite;
  els.teteInvite.disabled = state.teteBusy || socket.state !== "open";
  if (error !== null) {
    els.teteStatus.dataset.kind = "error";
    setText(els.teteStatus, error);
  } else {
    els.teteStatus.dataset.kind = "status";
    setText(els.teteStatus, state.teteBusy ? t("dash.tete.sending") : tete ? teteText(tete) : "");
  }
  const open = tete !== null && tete.state === "open";
  els.teteOpenLine.hidden = !open;
  if (open) els.teteOpen.setAttribute("href", `/r/${encodeURIComponent(tete.room)}?staff=1`);
}

function teteError(reply) {
  if (reply.code === "disconnected") return t("dash.err.disconnected");
  return keyOr(`dash.tete.err.${reply.code}`, reply.message || errorText(reply));
}

els.teteInvite.addEventListener("click", async () => {
  const id = state.selected;
  if (!id || state.teteBusy) return;
  state.teteBusy = true;
  state.teteError = null;
  renderTete();
  const reply = await itemRequest({ type: "invite", item: id });
  state.teteBusy = false;
  if (reply.type === "ack" && typeof reply.room === "string") {
    const known = state.tete.get(id);
    // The same helper inviting again gets the same room: keep what the frames said of it.
    const same = known && known.room === reply.room && TETE_STATES.has(known.state);
    state.tete.set(id, same ? known : { room: reply.room, state: "invited", with: null, reason: null });
    const item = state.items.get(id);
    if (item && item.state === "open") state.items.set(id, { ...item, state: "claimed", claimed_by: state.me.username });
    renderQueue();
    renderDetail();
  } else {
    state.teteError = { id, text: teteError(reply) };
    renderTete();
  }
  // The button may be gone: the keyboard stays in the block, where the state is read.
  if (state.selected === id && (els.teteInvite.hidden || document.activeElement === document.body)) els.teteTitle.focus();
});

function privateRoomArrived(frame) {
  if (typeof frame.item !== "string" || typeof frame.room !== "string" || !TETE_STATES.has(frame.state)) return;
  const before = state.tete.get(frame.item);
  const tete = {
    room: frame.room, state: frame.state, reason: typeof frame.reason === "string" ? frame.reason : null,
    with: typeof frame.with === "string" && frame.with ? frame.with : (before && before.with) || null,
  };
  state.tete.set(frame.item, tete);
  if (state.teteError && state.teteError.id === frame.item) state.teteError = null;
  // The selected item's block is itself a live region: the announcer speaks for the others.
  if (before && before.state !== tete.state && tete.state !== "invited" && state.selected !== frame.item) {
    announce(t(`dash.tete.announce.${tete.state}`, { name: tete.with || t("dash.tete.person") }));
  }
  renderQueue();
  if (state.selected === frame.item) renderTete();
}

function sayDetail(text, kind = "status") {
  els.detailStatus.dataset.kind = kind;
  setText(els.detailStatus, text);
}

function messageView(message, { focus = false, held = false, before = false } = {}) {
  const author = (message.author && message.author.pseudonym) || "";
  const role = message.author && message.author.role;
  const cw = typeof message.cw === "string" && message.cw.trim() ? message.cw : null;
  const classes = ["ctx-message"];
  if (focus) classes.push("is-focus");
  if (before) classes.push("is-before");
  const bodyId = `ctx-body-${focus ? "item" : message.id}-${Math.random().toString(36).slice(2, 8)}`;
  const textEl = h("p", { class: "ctx-text" }, String(message.text || ""));
  const body = h("div", { class: "ctx-body", id: bodyId, hidden: Boolean(cw) }, textEl);
  return h("article", { class: classes.join(" "), "data-id": message.id || null },
    h("p", { class: "ctx-meta" },
      h("span", { class: "ctx-author" }, author),
      role === "helper" || role === "admin" ? h("span", { class: "badge badge-helper" }, t("message.helper")) : null,
      message.ts ? h("time", { datetime: message.ts, title: formatDateTime(message.ts) }, formatTime(message.ts)) : null,
      focus ? h("span", { class: "ctx-focus-label" }, held ? t("dash.detail.held") : t("dash.detail.thisMessage")) : null),
    cw ? h("button", {
      type: "button", class: "cw-toggle", "aria-expanded": "false", "aria-controls": bodyId, "data-cw": cw,
    }, t("cw.show", { cw })) : null,
    body);
}

// Content warnings open and close in place (the detail and the context lists).
els.detail.addEventListener("click", (event) => {
  const toggle = event.target.closest("button.cw-toggle");
  if (!toggle) return;
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  const body = $(toggle.getAttribute("aria-controls"));
  if (body) body.hidden = !open;
  setText(toggle, t(open ? "cw.hide" : "cw.show", { cw: toggle.dataset.cw }));
});

async function loadContext(id) {
  setText(els.contextStatus, t("staff.loading"));
  replaceChildren(els.context);
  replaceChildren(els.earlier);
  replaceChildren(els.notes);
  let answer;
  try {
    answer = await api("GET", `/api/staff/items/${encodeURIComponent(id)}/context`);
  } catch (error) {
    if (state.selected !== id) return;
    if (error instanceof ApiError && error.status === 401) {
      location.assign("/login?next=/staff");
      return;
    }
    setText(els.contextStatus, error instanceof ApiError ? errorText(error) : t("err.disconnected"));
    return;
  }
  if (state.selected !== id) return;
  state.context = answer;
  state.contextFor = id;
  renderContext();
}

function renderContext() {
  const answer = state.context;
  if (!answer) return;
  const item = findItem(state.contextFor) || answer.item;
  setText(els.contextStatus, answer.before.length || answer.after.length ? "" : t("dash.context.none"));
  const rows = [];
  for (const m of answer.before) rows.push(h("li", null, messageView(m, { before: true })));
  if (item.message.id !== null) {
    rows.push(h("li", { class: "ctx-item" }, messageView({
      author: item.message.author || {}, text: item.message.text, cw: item.message.cw, id: item.message.id,
    }, { focus: true })));
  }
  for (const m of answer.after) rows.push(h("li", null, messageView(m)));
  replaceChildren(els.context, rows);

  replaceChildren(els.earlier, answer.earlier_items.length
    ? answer.earlier_items.map((e) => h("li", { class: "earlier-item" },
      h("span", { class: "earlier-meta" },
        `${formatDateTime(e.created)} · ${kindName(e.kind)} · ${e.state === "resolved" ? actionName(e.resolution, e.kind) : stateText(e)}`),
      " ",
      h("span", { class: "earlier-text" }, e.message.cw ? t("dash.cw", { cw: e.message.cw }) : String(e.message.text || ""))))
    : h("li", { class: "staff-note" }, t("dash.earlier.none")));
  renderNotes();
}

function renderNotes() {
  const notes = (state.context && state.context.notes) || [];
  replaceChildren(els.notes, notes.length
    ? notes.map((n) => h("li", { class: "note" },
      h("p", { class: "note-meta" }, `${n.author} · ${formatDateTime(n.created)}`),
      h("p", { class: "note-text" }, n.text)))
    : h("li", { class: "staff-note" }, t("dash.notes.none")));
}

// -- claim, release, decide -------------------------------------------------------------------------------

function requestError(reply) {
  if (reply.code === "conflict") {
    return reply.claimed_by ? t("dash.err.conflictBy", { name: reply.claimed_by }) : t("dash.err.conflict");
  }
  return keyOr(`dash.err.${reply.code}`, reply.message || errorText(reply));
}

async function itemRequest(frame) {
  try {
    return await socket.request(frame);
  } catch {
    return { type: "error", code: "disconnected", message: t("err.disconnected") };
  }
}

els.claim.addEventListener("click", async () => {
  const id = state.selected;
  if (!id) return;
  els.claim.disabled = true;
  const reply = await itemRequest({ type: "claim", item: id });
  if (reply.type === "ack") {
    const item = state.items.get(id);
    if (item) state.items.set(id, { ...item, state: "claimed", claimed_by: state.me.username });
    sayDetail(t("dash.claimed"));
    renderQueue();
    renderDetail();
    els.release.focus();
  } else {
    sayDetail(requestError(reply), "error");
    renderControls();
  }
});

els.release.addEventListener("click", async () => {
  const id = state.selected;
  if (!id) return;
  els.release.disabled = true;
  const reply = await itemRequest({ type: "release", item: id });
  if (reply.type === "ack") {
    const item = state.items.get(id);
    if (item) state.items.set(id, { ...item, state: "open", claimed_by: null });
    sayDetail(t("dash.released"));
    renderQueue();
    renderDetail();
    els.claim.focus();
  } else {
    sayDetail(requestError(reply), "error");
    renderControls();
  }
});

function buildActions(item) {
  if (!item) return;
  const choices = ACTIONS.filter((a) => (a === "approve" ? item.kind === "held" : a === "hide" ? item.message.id !== null : true));
  replaceChildren(els.actChoices, choices.map((action, index) => h("p", { class: "check" },
    h("input", { type: "radio", name: "action", id: `act-${action}`, value: action, checked: index === 0 }),
    h("label", { for: `act-${action}` }, actionName(action, item.kind),
      h("span", { class: "field-hint" }, keyOr(`dash.actionHint.${action}`, ""))))));
  actionChanged();
}

function chosenAction() {
  const checked = els.actChoices.querySelector("input[name=action]:checked");
  return checked ? checked.value : null;
}

function actionChanged() {
  const action = chosenAction();
  const durations = DURATIONS[action];
  els.durationField.hidden = !durations;
  if (durations) {
    const before = els.duration.dataset.action === action ? els.duration.value : String(DEFAULT_DURATION[action]);
    replaceChildren(els.duration, durations.map(([value, key, n]) => h("option", { value: String(value) }, t(key, { n }))));
    els.duration.value = before;
    els.duration.dataset.action = action;
  }
  const required = NOTE_REQUIRED.has(action);
  els.note.required = required;
  els.note.setAttribute("aria-required", String(required));
  setText($("act-note-label"), required ? t("dash.act.noteRequired") : t("dash.act.note"));
  setText(els.noteHint, t(required ? "dash.act.noteHintRequired" : "dash.act.noteHint"));
}

els.actChoices.addEventListener("change", actionChanged);

els.actForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = state.selected;
  const item = id && findItem(id);
  const action = chosenAction();
  if (!item || !action) return;
  setText(els.actError, "");
  const note = els.note.value.trim();
  if (NOTE_REQUIRED.has(action) && !note) {
    setText(els.actError, t("dash.act.needNote"));
    els.note.focus();
    return;
  }
  const frame = { type: "resolve", item: id, action, note };
  if (DURATIONS[action] && els.duration.value !== "") frame.duration_s = Number(els.duration.value);
  els.actSubmit.disabled = true;
  const reply = await itemRequest(frame);
  els.actSubmit.disabled = false;
  if (reply.type !== "ack") {
    setText(els.actError, requestError(reply));
    renderControls();
    return;
  }
  els.note.value = "";
  if (reply.status === "escalated") {
    const known = state.items.get(id);
    if (known) state.items.set(id, { ...known, escalation: Math.max(2, known.escalation || 0) });
    sayDetail(t("dash.escalatedDone"));
  } else {
    itemArrived({ ...item, state: "resolved", resolution: action, claimed_by: state.me.username }, false);
    sayDetail(t("dash.resolvedDone", { action: actionName(action, item.kind) }));
  }
  renderQueue();
  renderDetail();
  els.detail.focus();
});

els.noteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = state.selected;
  const text = els.noteText.value.trim();
  setText(els.noteError, "");
  if (!id) return;
  if (!text) {
    setText(els.noteError, t("dash.notes.empty"));
    els.noteText.focus();
    return;
  }
  els.noteSubmit.disabled = true;
  try {
    const note = await api("POST", `/api/staff/items/${encodeURIComponent(id)}/notes`, { text });
    if (state.selected === id && state.context) {
      state.context.notes.push(note);
      renderNotes();
    }
    els.noteText.value = "";
    sayDetail(t("dash.notes.saved"));
  } catch (error) {
    setText(els.noteError, error instanceof ApiError ? errorText(error) : t("err.disconnected"));
  } finally {
    els.noteSubmit.disabled = false;
  }
});

// -- putting it together ------------------------------------------------------------------------------------

function renderAll() {
  renderDuty();
  renderQueue();
  renderBanner();
  renderDetail();
}

function relocalize() {
  setText(els.who, state.me ? t("dash.who", { name: state.me.username }) : t("staff.loading"));
  renderStatus();
  renderAll();
  if (state.selected) {
    buildActions(findItem(state.selected));
    renderContext();
  }
}

async function loadRooms() {
  let listed = [];
  try {
    listed = await api("GET", "/api/rooms");
  } catch {
    listed = [];
  }
  for (const room of listed) state.titles.set(room.slug, room.title);
  state.rooms = listed.filter((room) => mayModerate(room.slug))
    .map((room) => ({ slug: room.slug, title: room.title, lang: room.lang }));
}

async function start() {
  initStaffPage("dash.docTitle");
  // Logging out ends this login's websockets too: go quietly, to the log-in page staff.js opens.
  $("logout").addEventListener("click", () => socket.stop("logged_out"));
  onLangChange(relocalize);
  els.who.removeAttribute("data-i18n");
  let me;
  try {
    me = await whoAmI();
  } catch {
    setText(els.who, t("err.disconnected"));
    return;
  }
  if (!me) {
    location.assign("/login?next=/staff");
    return;
  }
  state.me = me;
  els.consoleLink.hidden = me.role !== "admin";
  setText(els.who, t("dash.who", { name: me.username }));
  await loadRooms();
  if (state.rooms.length === 0) sayDuty(t("dash.duty.noRooms"));
  renderAll();
  socket.start();
  document.body.dataset.ready = "true";
}

start();
