// The room page: one room's chat over /ws (protocol.md), for anonymous peers.
//
// Model: the messages of the room in id order (ids sort by plain string comparison), each
// with its element. A message is never shown twice (deduplicated by id) and none is lost:
// every (re)join asks for what came after the last id seen, kept in memory and in
// sessionStorage so that a reload resumes too.

import { h, replaceChildren, setText, local, session, telHref, safeUrl } from "./dom.js";
import {
  t, has, lang, initLangSwitch, onLangChange, formatTime, formatWhen, formatUntil, formatDateTime,
} from "./i18n.js";
import { ChatSocket } from "./socket.js";
import {
  callable, countryPicker, fetchCard, helplineLocale, helplinesBlock, onCountryChange, smsLink,
} from "./helplines.js";

const $ = (id) => document.getElementById(id);

const slug = (() => {
  const match = location.pathname.match(/^\/r\/([^/]+)\/?$/);
  try {
    return match ? decodeURIComponent(match[1]) : "";
  } catch {
    return match ? match[1] : "";
  }
})();

// A tête-à-tête (docs/protocol.md) is a room like any other whose slug starts with this.
const PRIVATE_PREFIX = "prive-";
const privateSlug = slug.startsWith(PRIVATE_PREFIX);
// The dashboard opens a helper's tête-à-tête as /r/<room>?staff=1: speak with the team login.
const wantsStaff = new URLSearchParams(location.search).get("staff") === "1";
const ENDED_STATES = new Set(["closed", "expired", "declined"]);

const KEYS = {
  since: `entraide.since.${slug}`,      // sessionStorage: last message id seen
  mine: `entraide.mine.${slug}`,        // sessionStorage: ids of my own messages
  charter: `entraide.charter.${slug}`,  // localStorage: the charter version acknowledged
  ignored: `entraide.ignored.${slug}`,  // localStorage: pseudonyms ignored in this room
  names: `entraide.names.${slug}`,      // localStorage: pseudonyms this session held here
  asHelper: "entraide.asHelper",        // sessionStorage: "1" when this tab speaks as a peer helper
  staffHint: "entraide.staffHint",      // localStorage: set by the staff pages after a login
  privateMeta: (room) => `entraide.private.${room}`, // sessionStorage: {from_room, with} of a tête-à-tête
  inviteLater: "entraide.inviteLater",  // sessionStorage: invitations put off ("later") in this tab
};
const NEAR_BOTTOM_PX = 120;
const MAX_MINE_IDS = 500;
const ROOM_FULL_RETRY_MS = 20_000;
const JOIN_RETRY_MS = 8_000;
const CLOSED_REFRESH_MS = 60_000;
const MAX_TIMER_MS = 2_147_000_000;
const MAX_FRAME_BYTES = 16_000;

const els = {
  status: $("status"),
  statusText: $("status-text"),
  title: $("room-title"),
  presence: $("presence"),
  notices: $("room-notices"),
  messages: $("messages"),
  empty: $("messages-empty"),
  newBelow: $("new-below"),
  pointer: $("pointer-region"),
  charterPanel: $("charter-panel"),
  charterText: $("charter-text"),
  charterAgain: $("charter-text-again"),
  charterAccept: $("charter-accept"),
  composer: $("composer"),
  text: $("composer-text"),
  cw: $("composer-cw"),
  cwDetails: $("cw-details"),
  counter: $("composer-counter"),
  send: $("composer-send"),
  lock: $("composer-lock"),
  error: $("composer-error"),
  composerStatus: $("composer-status"),
  pseudonym: $("pseudonym"),
  reroll: $("pseudo-reroll"),
  pseudoForm: $("pseudo-form"),
  pseudoInput: $("pseudo-input"),
  pseudoDetails: $("pseudo-details"),
  pseudoError: $("pseudo-error"),
  pseudoStatus: $("pseudo-status"),
  helplinesSide: $("helplines-side"),
  description: $("room-description"),
  ignoredList: $("ignored-list"),
  ignoredNone: $("ignored-none"),
  eraseOpen: $("erase-open"),
  reportDialog: $("report-dialog"),
  reportForm: $("report-form"),
  reportQuote: $("report-quote"),
  reportReason: $("report-reason"),
  reportError: $("report-error"),
  reportSubmit: $("report-submit"),
  reportCancel: $("report-cancel"),
  eraseDialog: $("erase-dialog"),
  eraseForm: $("erase-form"),
  eraseError: $("erase-error"),
  eraseConfirm: $("erase-confirm"),
  eraseCancel: $("erase-cancel"),
  toast: $("toast"),
  helperCard: $("helper-card"),
  asHelper: $("as-helper"),
  ignoredCard: $("ignored-card"),
  pseudoNote: $("pseudo-note"),
  crisisNoticeText: $("crisis-notice-text"),
  leave: $("private-leave"),
  leaveDialog: $("leave-dialog"),
  leaveForm: $("leave-form"),
  leaveText: $("leave-dialog-text"),
  leaveError: $("leave-error"),
  leaveConfirm: $("leave-confirm"),
  leaveCancel: $("leave-cancel"),
  inviteDialog: $("invite-dialog"),
  inviteTitle: $("invite-title"),
  inviteText: $("invite-text"),
  inviteExpiry: $("invite-expiry"),
  inviteError: $("invite-error"),
  inviteAccept: $("invite-accept"),
  inviteDecline: $("invite-decline"),
  inviteLater: $("invite-later"),
};

const storedPrivate = privateSlug ? session.getJSON(KEYS.privateMeta(slug), null) : null;

const state = {
  joined: false,           // a `joined` was received on the current connection
  joinedOnce: false,       // ...on any connection of this page
  joining: false,
  info: null,              // room_info of the last `joined`
  pseudonym: null,
  presence: { count: 0, helpers: 0 },
  ids: [],                 // message ids in order
  messages: new Map(),     // id -> { frame, el }
  hiddenIds: new Set(),    // ids hidden or erased: never shown again
  lastId: null,                      // the greatest id seen on this page
  storedSince: session.get(KEYS.since), // ...and by this tab before a reload
  mine: new Set(session.getJSON(KEYS.mine, [])),
  ignored: local.getJSON(KEYS.ignored, []),
  charterOk: false,
  sending: null,           // { text, cw } while a `say` waits for its answer
  unsent: null,            // a `say` cut off by a disconnection, checked at the next join
  cooldownUntil: 0,
  mutedUntil: null,        // ms timestamp, Infinity for "until further notice", null when free
  left: null,              // "kicked" | "banned" | "left" when out of the room
  fatal: null,             // a reason the page cannot chat at all
  gapShown: false,
  newBelow: false,
  reportTarget: null,      // { id, author, opener }
  // A team member may speak with the badge: hello with "staff": true opens the session of the
  // HttpOnly login cookie (the page never sees that token); otherwise the peer session.
  asHelper: (session.get(KEYS.asHelper) === "1" || wantsStaff) && local.get(KEYS.staffHint) === "1",
  // This page's tête-à-tête, when it is one: who with, where from, and how it ended.
  priv: {
    known: false,          // a private_room frame about this very room came
    with: storedPrivate && typeof storedPrivate.with === "string" ? storedPrivate.with : null,
    fromRoom: storedPrivate && typeof storedPrivate.from_room === "string" ? storedPrivate.from_room : null,
    ended: false,
    reason: null,
    byMe: false,
    leaving: false,
    unavailable: false,    // unknown_room: not one of its two people, or over
  },
  // Invitations to a tête-à-tête, by private room (the server sends them again at each hello).
  invites: new Map(),      // room -> { frame, busy, timer }
  inviteShown: null,       // the room whose invitation the dialog shows
  inviteOpener: null,
  inviteLater: new Set([].concat(session.getJSON(KEYS.inviteLater, [])).filter((r) => typeof r === "string")),
  openPrivate: new Map(),  // room -> private_room frame of an open tête-à-tête elsewhere
  navigating: false,
};
if (!Array.isArray(state.ignored)) state.ignored = [];

let cooldownTimer = null;
let mutedTimer = null;
let roomTimer = null;
let joinRetryTimer = null;
let presenceRefreshTimer = null;
let toastTimer = null;
let quietUntil = 0;       // until then a reconnection we asked for is not announced

const socket = new ChatSocket({
  // The interface language and the helplines' country (helplines.js): the server picks the
  // crisis card by it.
  locale: () => helplineLocale(),
  staff: () => state.asHelper,
  onBadToken: () => {
    // The team login ended (logged out, expired, disabled): carry on as a peer.
    setAsHelper(false);
    els.helperCard.hidden = true;
    local.remove(KEYS.staffHint);
    toast(t("asHelper.ended"));
  },
  onReady: () => {
    if (!state.left) joinRoom();
  },
  onFrame: (frame) => handleFrame(frame),
  onState: (socketState) => socketStateChanged(socketState),
});

function socketStateChanged(socketState) {
  if (socketState !== "open") {
    state.joined = false;
    clearTimeout(joinRetryTimer);
  }
  if (socketState === "stopped" && socket.stopReason === "banned") {
    state.fatal = "banned_service";
    showNotice("fatal", t("err.serviceBanned"));
  }
  renderStatus();
  renderComposer();
}

// -- helpers --------------------------------------------------------------------------------

function fold(name) {
  return String(name || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1; // eslint-disable-line no-unused-vars
  return n;
}

function hash(text) {
  // FNV-1a, enough to notice that a charter changed.
  let value = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value.toString(16);
}

function roomLang() {
  return state.info && state.info.lang === "en" ? "en" : "fr";
}

/** Whether the server writes its texts in the interface language (the locale of the last hello). */
function serverSpeaksUi() {
  const sessionLang = (socket.sessionLocale || "").startsWith("en") ? "en" : "fr";
  return sessionLang === lang();
}

/** The server's own text when it speaks the interface language, else ours. */
function errorText(frame) {
  const code = frame && frame.code;
  if (frame && frame.message && serverSpeaksUi()) return frame.message;
  if (code && has(`err.${code}`)) return t(`err.${code}`);
  return (frame && frame.message) || t("err.generic");
}

// Every name a session held in a room stays reserved to it while the session lives
// (docs/protocol.md), so a message signed with one of them is ours. The list is tied to the
// token: a new session starts a new list.
function tokenTag() {
  return state.asHelper ? "staff" : hash(local.get("entraide.token") || "");
}

let namesCache = null;

function myNames() {
  const tag = tokenTag();
  if (namesCache && namesCache.t === tag) return namesCache.names;
  const stored = local.getJSON(KEYS.names, null);
  const names = stored && stored.t === tag && Array.isArray(stored.names) ? stored.names : [];
  namesCache = { t: tag, names };
  return names;
}

function rememberName(name) {
  if (typeof name !== "string" || name === "") return;
  const names = myNames().slice();
  if (names.includes(name)) return;
  names.push(name);
  namesCache = { t: tokenTag(), names: names.slice(-50) };
  local.setJSON(KEYS.names, namesCache);
}

function isMine(frame) {
  if (state.mine.has(frame.id)) return true;
  const author = frame.author && frame.author.pseudonym;
  if (!author) return false;
  return author === state.pseudonym || myNames().includes(author);
}

function isIgnored(frame) {
  const author = frame.author && frame.author.pseudonym;
  if (!author || isMine(frame)) return false;
  const key = fold(author);
  return state.ignored.some((name) => fold(name) === key);
}

function isHelper(frame) {
  const role = frame.author && frame.author.role;
  return role === "helper" || role === "admin";
}

function rememberMine(id) {
  state.mine.add(id);
  const ids = [...state.mine].sort();
  session.setJSON(KEYS.mine, ids.slice(-MAX_MINE_IDS));
}

function toast(text) {
  clearTimeout(toastTimer);
  els.toast.textContent = "";
  // A fresh node each time so that the same sentence twice is announced twice.
  els.toast.appendChild(h("span", null, text));
  els.toast.classList.add("visible");
  toastTimer = setTimeout(() => {
    els.toast.classList.remove("visible");
    els.toast.textContent = "";
  }, 8000);
}

function setTimer(fn, ms) {
  return setTimeout(fn, Math.max(0, Math.min(ms, MAX_TIMER_MS)));
}

// -- connection status ------------------------------------------------------------------------

function renderStatus() {
  let dataState;
  let key;
  if (state.fatal || socket.state === "stopped") {
    dataState = "closed";
    key = "status.closed";
  } else if (socket.state === "open" && state.joined) {
    dataState = "open";
    key = "status.open";
  } else if (socket.state === "open" && state.left) {
    dataState = "open";
    key = "status.open";
  } else if (Date.now() < quietUntil && els.status.dataset.state === "open") {
    // A deliberate reconnection (language switch): do not announce a blip.
    setTimeout(renderStatus, Math.max(50, quietUntil - Date.now()));
    return;
  } else {
    dataState = "connecting";
    if (navigator.onLine === false) key = "status.offline";
    else key = socket.everReady || state.joinedOnce ? "status.reconnecting" : "status.connecting";
  }
  if (els.status.dataset.state !== dataState) els.status.dataset.state = dataState;
  els.statusText.setAttribute("data-i18n", key);
  setText(els.statusText, t(key));
}

window.addEventListener("offline", renderStatus);
window.addEventListener("online", renderStatus);

// -- joining ------------------------------------------------------------------------------------

async function joinRoom({ quiet = false } = {}) {
  if (state.joining && !quiet) return;
  clearTimeout(joinRetryTimer);
  const first = !state.joinedOnce;
  const since = first ? null : state.lastId;
  state.joining = true;
  let reply;
  try {
    reply = await socket.request({ type: "join", room: slug, since: since || null, pseudonym: null });
  } catch {
    state.joining = false;
    return; // disconnected: the next welcome joins again
  } finally {
    state.joining = false;
  }
  if (reply.type === "error") {
    handleJoinError(reply);
    return;
  }
  if (reply.type !== "joined") return;
  const isFirst = !state.joinedOnce;
  applyJoined(reply, { replace: Boolean(reply.gap) });
  // After a reload the page starts empty: the latest messages came first, for context; now
  // fetch whatever was published after the last id this tab saw, if the latest do not cover it.
  const stored = state.storedSince;
  state.storedSince = null;
  if (isFirst && stored && reply.history.length > 0 && reply.history[0].id > stored) {
    try {
      const more = await socket.request({ type: "join", room: slug, since: stored, pseudonym: null });
      if (more.type === "joined") applyJoined(more, { replace: Boolean(more.gap) });
    } catch {
      /* disconnected: the next join resumes from the last id anyway */
    }
  }
}

function handleJoinError(frame) {
  const code = frame.code;
  clearTimeout(joinRetryTimer);
  if (code === "room_full") {
    showNotice("join", errorText(frame));
    joinRetryTimer = setTimer(() => joinRoom(), ROOM_FULL_RETRY_MS);
  } else if (code === "banned") {
    state.left = "banned";
    const text = frame.until ? t("err.bannedUntil", { until: formatUntil(frame.until) }) : errorText(frame);
    showNotice("join", text);
    if (frame.until) {
      joinRetryTimer = setTimer(() => {
        state.left = null;
        joinRoom();
      }, Date.parse(frame.until) - Date.now() + 2000);
    }
  } else if (code === "unknown_room" && privateSlug) {
    // Not one of its two people, or over: the same words either way (nothing to learn here).
    state.fatal = "unknown_room";
    state.priv.unavailable = true;
    renderPrivateUnavailable();
  } else if (code === "unknown_room") {
    state.fatal = "unknown_room";
    showNotice("join", errorText(frame), { home: true });
  } else {
    showNotice("join", errorText(frame));
    joinRetryTimer = setTimer(() => joinRoom(), JOIN_RETRY_MS);
  }
  renderStatus();
  renderComposer();
}

function applyJoined(frame, { replace }) {
  const firstTime = !state.joinedOnce;
  state.joined = true;
  state.joinedOnce = true;
  state.left = null;
  state.info = frame.room_info || state.info || {};
  if (typeof frame.pseudonym === "string") state.pseudonym = frame.pseudonym;
  if (frame.presence) state.presence = { count: frame.presence.count, helpers: frame.presence.helpers };
  removeNotice("join");
  removeNotice("left");

  renderRoomInfo();
  renderPseudonym();
  renderPresence();

  const history = Array.isArray(frame.history) ? frame.history : [];
  const bulk = firstTime || replace;
  if (bulk) els.messages.setAttribute("aria-busy", "true");
  if (firstTime) {
    // Do not read the whole history aloud on arrival: the log speaks for new messages only.
    els.messages.setAttribute("aria-live", "off");
  }
  if (replace) {
    clearMessages();
    showGapNotice();
  }
  const wasNear = isNearBottom();
  for (const message of history) addMessage(message, { live: false });
  if (bulk) els.messages.removeAttribute("aria-busy");
  if (firstTime) {
    setTimeout(() => els.messages.setAttribute("aria-live", "polite"), 400);
  }
  if (firstTime || replace || wasNear) scrollToBottom();
  else if (history.length) markNewBelow();
  renderEmpty();
  checkUnsent(history);
  scheduleRoomRefresh();
  renderStatus();
  renderComposer();
}

/** A `say` that was in flight when the connection dropped: did it make it? */
function checkUnsent(history) {
  const unsent = state.unsent;
  if (!unsent) return;
  state.unsent = null;
  const wanted = unsent.text.trim();
  const found = history.find((m) => m.author && m.author.pseudonym === state.pseudonym && m.text === wanted);
  if (found) {
    rememberMine(found.id);
    if (els.text.value === unsent.text) {
      els.text.value = "";
      els.cw.value = "";
      renderCounter();
    }
    clearComposerError();
  } else {
    showComposerError(t("composer.unsent"));
  }
}

/** Ask for fresh room_info (open/closed) without leaving: a join of a joined room is cheap. */
function refreshRoomInfo() {
  if (socket.state === "open" && state.joined && !state.joining) joinRoom({ quiet: true });
}

function scheduleRoomRefresh() {
  clearTimeout(roomTimer);
  const info = state.info;
  if (!info || info.open) return;
  let wait = CLOSED_REFRESH_MS;
  if (info.next_open) {
    const until = Date.parse(info.next_open) - Date.now() + 1500;
    if (Number.isFinite(until)) wait = Math.max(1000, Math.min(wait, until));
  }
  roomTimer = setTimer(refreshRoomInfo, wait);
}

// -- frames ---------------------------------------------------------------------------------------

function handleFrame(frame) {
  // Tête-à-tête frames name the private room, whatever room this page shows.
  if (frame.type === "private_invite") {
    handleInvite(frame);
    return;
  }
  if (frame.type === "private_room") {
    handlePrivateRoom(frame);
    return;
  }
  if (frame.room !== undefined && frame.room !== slug) return;
  switch (frame.type) {
    case "message":
      addMessage(frame, { live: true });
      break;
    case "hidden":
      hideMessage(frame.id);
      break;
    case "presence": {
      const before = state.presence.helpers;
      state.presence = { count: frame.count, helpers: frame.helpers };
      renderPresence();
      if ((before === 0) !== (Number(frame.helpers) === 0)) {
        // A room that needs a helper on duty may just have opened or closed.
        clearTimeout(presenceRefreshTimer);
        presenceRefreshTimer = setTimeout(refreshRoomInfo, 1500);
      }
      break;
    }
    case "renamed":
      if (typeof frame.pseudonym === "string") {
        state.pseudonym = frame.pseudonym;
        renderPseudonym();
      }
      break;
    case "notice":
      handleNotice(frame);
      break;
    case "left":
      state.joined = false;
      if (frame.reason === "closed" || isPrivate()) {
        // A tête-à-tête that ended (either of its two people left, or was away too long).
        privateEnded(null);
        break;
      }
      if (frame.reason === "archived") {
        // The room was archived by an admin: there is nothing to go back to.
        state.left = "archived";
        showNotice("left", t("room.archived"), { home: true });
      } else {
        if (!state.left) state.left = "left";
        showNotice("left", t("composer.locked.left"), { rejoin: state.left !== "banned" });
      }
      renderStatus();
      renderComposer();
      break;
    case "room_info":
      // An admin changed the room (title, description, charter, hours, limits): live.
      if (frame.room_info && typeof frame.room_info === "object") {
        state.info = { ...(state.info || {}), ...frame.room_info };
        renderRoomInfo();
        scheduleRoomRefresh();
        renderComposer();
      }
      break;
    case "pointer":
      showPointer(frame);
      break;
    case "error":
      if (frame.code === "flooding" || frame.code === "too_slow") break; // the close follows
      if (frame.message || frame.code) toast(errorText(frame));
      break;
    default:
      break; // newer frame types are ignored
  }
}

// -- messages -------------------------------------------------------------------------------------

function isNearBottom() {
  const box = els.messages;
  return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToBottom() {
  els.messages.scrollTop = els.messages.scrollHeight;
  state.newBelow = false;
  els.newBelow.hidden = true;
}

function markNewBelow() {
  state.newBelow = true;
  els.newBelow.hidden = false;
}

function insertIndex(id) {
  const ids = state.ids;
  if (ids.length === 0 || ids[ids.length - 1] < id) return ids.length;
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function addMessage(frame, { live }) {
  if (!frame || typeof frame.id !== "string" || frame.id === "") return;
  if (!state.lastId || frame.id > state.lastId) {
    state.lastId = frame.id;
    session.set(KEYS.since, frame.id);
  }
  if (state.hiddenIds.has(frame.id) || state.messages.has(frame.id)) return;
  if (isPrivate() && !state.priv.with && frame.author && typeof frame.author.pseudonym === "string" && !isMine(frame)) {
    // Who the other one is, before (or without) a private_room frame.
    rememberPrivate({ with: frame.author.pseudonym });
  }
  const wasNear = live ? isNearBottom() : false;
  const el = renderMessage(frame);
  const index = insertIndex(frame.id);
  const nextId = state.ids[index];
  state.ids.splice(index, 0, frame.id);
  state.messages.set(frame.id, { frame, el });
  const next = nextId ? state.messages.get(nextId).el : null;
  els.messages.insertBefore(el, next);
  if (live) {
    renderEmpty();
    if (isPrivate() && !isMine(frame) && Number(state.presence.count) < 2) {
      // The other one just wrote: they are here (the next presence frame says it anyway).
      state.presence = { ...state.presence, count: 2 };
      renderPresence();
    }
    if (el.hidden) return;
    if (wasNear || isMine(frame)) scrollToBottom();
    else markNewBelow();
  }
}

function hideMessage(id) {
  if (typeof id !== "string") return;
  state.hiddenIds.add(id);
  const entry = state.messages.get(id);
  if (!entry) return;
  const hadFocus = entry.el.contains(document.activeElement);
  entry.el.remove();
  state.messages.delete(id);
  const index = state.ids.indexOf(id);
  if (index >= 0) state.ids.splice(index, 1);
  if (hadFocus) els.messages.focus();
  renderEmpty();
}

function clearMessages() {
  const hadFocus = els.messages.contains(document.activeElement);
  replaceChildren(els.messages);
  state.ids = [];
  state.messages.clear();
  if (hadFocus) els.messages.focus();
}

function renderEmpty() {
  const anyVisible = state.ids.some((id) => !state.messages.get(id).el.hidden);
  els.empty.hidden = anyVisible || !state.joinedOnce;
}

function showGapNotice() {
  showNotice("gap", t("gap.notice"), { discreet: true, dismissible: true, key: "gap.notice" });
}

function renderMessage(frame) {
  const mine = isMine(frame);
  const helper = isHelper(frame);
  const author = (frame.author && frame.author.pseudonym) || "";
  const text = typeof frame.text === "string" ? frame.text : "";
  const cw = typeof frame.cw === "string" && frame.cw.trim() ? frame.cw : null;
  const bodyId = `message-body-${frame.id}`;

  const classes = ["message"];
  if (mine) classes.push("mine");
  if (helper) classes.push("from-helper");
  // tabindex -1: a tap on a touch screen focuses the message and reveals its actions.
  const el = h("article", { class: classes.join(" "), "data-id": frame.id, tabindex: "-1" });

  const meta = h("p", { class: "message-meta" },
    h("span", { class: "message-author" }, author),
    mine ? h("span", { class: "message-you" }) : null,
    helper ? h("span", { class: "badge badge-helper" }) : null,
    h("time", { class: "message-time", datetime: typeof frame.ts === "string" ? frame.ts : null }),
  );
  el.appendChild(meta);

  // Messages are in the room's language; the interface around them may not be.
  const textEl = h("p", { class: "message-text", lang: roomLang() }, text);
  if (cw) {
    el.appendChild(h("button", {
      type: "button", class: "cw-toggle", "aria-expanded": "false", "aria-controls": bodyId, "data-action": "cw",
    }));
    el.appendChild(h("div", { class: "message-body", id: bodyId, hidden: true }, textEl));
  } else {
    el.appendChild(h("div", { class: "message-body", id: bodyId }, textEl));
  }

  // No report nor ignore between the two people of a tête-à-tête: leaving is the way out.
  if (!mine && !isPrivate()) {
    const actions = h("div", { class: "message-actions" },
      h("button", { type: "button", class: "msg-action", "data-action": "report" }));
    if (!helper) actions.appendChild(h("button", { type: "button", class: "msg-action", "data-action": "ignore" }));
    el.appendChild(actions);
  }
  localizeMessage(el, frame);
  el.hidden = isIgnored(frame);
  return el;
}

/** Fill in the interface strings of a message element (also on a language switch). */
function localizeMessage(el, frame) {
  const author = (frame.author && frame.author.pseudonym) || "";
  const you = el.querySelector(".message-you");
  if (you) setText(you, `(${t("message.you")})`);
  const badge = el.querySelector(".badge-helper");
  if (badge) setText(badge, t("message.helper"));
  const time = el.querySelector(".message-time");
  if (time) {
    setText(time, formatTime(frame.ts));
    if (frame.ts) time.setAttribute("title", formatDateTime(frame.ts));
  }
  const toggle = el.querySelector(".cw-toggle");
  if (toggle) {
    const open = toggle.getAttribute("aria-expanded") === "true";
    setText(toggle, t(open ? "cw.hide" : "cw.show", { cw: frame.cw }));
  }
  for (const button of el.querySelectorAll(".msg-action")) {
    const action = button.dataset.action;
    setText(button, t(action === "report" ? "action.report" : "action.ignore"));
    button.setAttribute("aria-label", t(action === "report" ? "action.reportLabel" : "action.ignoreLabel", { name: author }));
  }
}

function relocalizeMessages() {
  for (const id of state.ids) {
    const entry = state.messages.get(id);
    localizeMessage(entry.el, entry.frame);
  }
}

/** Re-evaluate who is "me" and who is ignored (after a rename, an ignore, a reload). */
function refreshMessageFlags() {
  for (const id of state.ids) {
    const entry = state.messages.get(id);
    const mine = isMine(entry.frame);
    if (mine !== entry.el.classList.contains("mine")) {
      const fresh = renderMessage(entry.frame);
      entry.el.replaceWith(fresh);
      entry.el = fresh;
    } else {
      entry.el.hidden = isIgnored(entry.frame);
    }
  }
  renderEmpty();
}

els.messages.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button || !els.messages.contains(button)) return;
  const article = button.closest(".message");
  const entry = article && state.messages.get(article.dataset.id);
  if (!entry) return;
  const action = button.dataset.action;
  if (action === "cw") {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    const body = article.querySelector(".message-body");
    if (body) body.hidden = !open;
    setText(button, t(open ? "cw.hide" : "cw.show", { cw: entry.frame.cw }));
  } else if (action === "report") {
    openReport(entry.frame, button);
  } else if (action === "ignore") {
    ignore(entry.frame.author && entry.frame.author.pseudonym);
  }
});

els.messages.addEventListener("scroll", () => {
  if (state.newBelow && isNearBottom()) {
    state.newBelow = false;
    els.newBelow.hidden = true;
  }
}, { passive: true });

els.newBelow.addEventListener("click", () => {
  scrollToBottom();
  els.messages.focus();
});

// -- room info, presence, charter -----------------------------------------------------------------

function renderRoomInfo() {
  const info = state.info || {};
  const roomLanguage = roomLang();
  const priv = isPrivate();
  if (priv) {
    renderPrivateTitle();
  } else {
    els.title.removeAttribute("data-i18n");
    setText(els.title, info.title || slug);
    els.title.setAttribute("lang", roomLanguage);
    document.title = t("room.docTitle", { title: info.title || slug });
  }
  setText(els.description, info.description || "");
  els.description.setAttribute("lang", roomLanguage);
  document.body.dataset.theme = String(info.theme || "").toLowerCase().replace(/[^a-z0-9-]/g, "");

  const charter = typeof info.charter === "string" ? info.charter : "";
  renderCharter(els.charterText, charter, roomLanguage);
  renderCharter(els.charterAgain, charter, roomLanguage);
  state.charterOk = local.get(KEYS.charter) === hash(charter);
  // A tête-à-tête asks nobody to accept a charter before speaking (both did, in the room it
  // came from): its few lines are shown at the top instead.
  const showPanel = !priv && !state.charterOk && charter.trim() !== "" && info.open !== false;
  if (priv || (!showPanel && charter.trim() === "")) state.charterOk = true;
  els.charterPanel.hidden = !showPanel;
  if (priv && charter.trim() !== "" && !state.priv.ended) {
    const intro = h("div", { class: "notice discreet private-intro", lang: roomLanguage },
      charter.split(/\r?\n/).filter((line) => line.trim() !== "").map((line) => h("p", { class: "notice-text" }, line)));
    intro.dataset.signature = hash(charter);
    const current = noticeEl("private-intro");
    if (!current || current.dataset.signature !== intro.dataset.signature) placeNotice("private-intro", intro);
  }
  renderPrivateChrome();

  const max = Number(info.max_length) || 2000;
  els.text.dataset.max = String(max);
  renderCounter();
  renderClosed();
}

function renderCharter(container, charter, roomLanguage) {
  const key = hash(charter);
  if (container.dataset.version === key) return;
  container.dataset.version = key;
  container.setAttribute("lang", roomLanguage);
  const lines = charter.split(/\r?\n/);
  replaceChildren(container, lines.map((line) =>
    line.trim() === "" ? h("p", { class: "charter-gap", "aria-hidden": "true" }) : h("p", null, line)));
}

/**
 * A notice with a title, a few lines, the helplines (with the choice of country: they follow it
 * by themselves) and links or buttons: the closed room's, and the end of a tête-à-tête. Rebuilt
 * only when its words change.
 */
function helplinesBox(name, { title, lines, actions = [] }) {
  const signature = JSON.stringify([lang(), title, lines,
    actions.map((a) => [a.textContent, a.getAttribute("href")])]);
  const current = noticeEl(name);
  if (current && current.dataset.signature === signature) return current;
  const titleId = `${name}-title`;
  const box = h("section", { class: "notice closed-box", "aria-labelledby": titleId },
    h("h2", { id: titleId, tabindex: "-1" }, title),
    lines.map((line) => h("p", null, line)),
    helplinesBlock(),
    actions.length ? h("p", { class: "notice-actions closed-actions" }, actions) : null,
  );
  box.dataset.signature = signature;
  placeNotice(name, box);
  return box;
}

function renderClosed() {
  const info = state.info;
  if (!info || info.open !== false || isPrivate()) {
    removeNotice("closed");
    return;
  }
  const when = info.next_open ? t("closed.next", { when: formatWhen(info.next_open) }) : t("closed.helper");
  helplinesBox("closed", { title: t("closed.title"), lines: [when, t("closed.read")] });
}

function renderPresence() {
  const count = Number(state.presence.count) || 0;
  const helpers = Number(state.presence.helpers) || 0;
  if (isPrivate() || state.priv.unavailable) {
    // Two people: say whether the other one is here.
    const name = otherName();
    const text = state.priv.ended || state.priv.unavailable || !state.joinedOnce
      ? "" : t(count >= 2 ? "private.here" : "private.away", { name });
    setText(els.presence, text ? text.charAt(0).toUpperCase() + text.slice(1) : "");
    els.presence.classList.toggle("has-helpers", count >= 2 && !state.priv.ended);
    return;
  }
  setText(els.presence, `${t("presence.here", { n: count })} · ${t("presence.onDuty", { n: helpers })}`);
  els.presence.classList.toggle("has-helpers", helpers > 0);
}

els.charterAccept.addEventListener("click", () => {
  const charter = (state.info && state.info.charter) || "";
  local.set(KEYS.charter, hash(charter));
  state.charterOk = true;
  els.charterPanel.hidden = true;
  renderComposer();
  setText(els.composerStatus, t("charter.accepted"));
  if (!els.text.disabled) els.text.focus();
});

// -- pseudonym -------------------------------------------------------------------------------------

function renderPseudonym() {
  if (state.pseudonym) rememberName(state.pseudonym);
  setText(els.pseudonym, state.pseudonym || t("pseudo.none"));
  refreshMessageFlags();
}

function showPseudoError(text) {
  setText(els.pseudoError, text);
  if (text) {
    els.pseudoInput.setAttribute("aria-invalid", "true");
  } else {
    els.pseudoInput.removeAttribute("aria-invalid");
  }
}

async function rename(wish) {
  showPseudoError("");
  setText(els.pseudoStatus, "");
  els.reroll.disabled = true;
  let reply;
  try {
    reply = await socket.request({ type: "rename", room: slug, pseudonym: wish });
  } catch {
    showPseudoError(t("err.disconnected"));
    return false;
  } finally {
    els.reroll.disabled = false;
  }
  if (reply.type === "renamed") {
    state.pseudonym = reply.pseudonym;
    renderPseudonym();
    setText(els.pseudoStatus, t("pseudo.changed", { name: reply.pseudonym }));
    return true;
  }
  if (reply.type === "error") {
    showPseudoError(errorText(reply));
    if (wish !== null) els.pseudoInput.focus();
  }
  return false;
}

els.reroll.addEventListener("click", () => rename(null));

els.pseudoForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const wish = els.pseudoInput.value.trim();
  const length = codePoints(wish);
  if (length < 2 || length > 32) {
    showPseudoError(t("err.pseudonym_invalid"));
    els.pseudoInput.focus();
    return;
  }
  if (await rename(wish)) {
    els.pseudoInput.value = "";
  }
});

els.pseudoInput.addEventListener("input", () => {
  if (els.pseudoInput.hasAttribute("aria-invalid")) showPseudoError("");
});

// -- ignoring ----------------------------------------------------------------------------------------

function saveIgnored() {
  local.setJSON(KEYS.ignored, state.ignored);
}

function ignore(name) {
  if (!name) return;
  const key = fold(name);
  if (!state.ignored.some((n) => fold(n) === key)) state.ignored.push(name);
  saveIgnored();
  refreshMessageFlags();
  renderIgnored();
  els.messages.focus();
  toast(t("ignored.done", { name }));
}

function unignore(name) {
  const key = fold(name);
  state.ignored = state.ignored.filter((n) => fold(n) !== key);
  saveIgnored();
  refreshMessageFlags();
  renderIgnored();
  toast(t("ignored.undone", { name }));
}

function renderIgnored() {
  const items = state.ignored.map((name) =>
    h("li", null,
      h("span", { class: "ignored-name" }, name), " ",
      h("button", {
        type: "button", class: "button small quiet", "data-name": name,
        "aria-label": t("ignored.undoLabel", { name }),
      }, t("ignored.undo"))));
  replaceChildren(els.ignoredList, items);
  els.ignoredNone.hidden = state.ignored.length > 0;
}

els.ignoredList.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-name]");
  if (!button) return;
  const index = [...els.ignoredList.children].indexOf(button.closest("li"));
  unignore(button.getAttribute("data-name"));
  // Keep the keyboard where it was: the next person in the list, or the section title.
  const buttons = els.ignoredList.querySelectorAll("button");
  const target = buttons[Math.min(index, buttons.length - 1)];
  if (target) target.focus();
  else $("ignored-title").focus();
});

// -- composer --------------------------------------------------------------------------------------

function maxLength() {
  return Number(els.text.dataset.max) || 2000;
}

function lockReason() {
  if (state.priv.ended) return t("private.locked");
  if (state.fatal === "unknown_room" && privateSlug) return t("private.unavailableTitle");
  if (state.fatal === "banned_service") return t("err.serviceBanned");
  if (state.fatal) return t("composer.locked.left");
  if (state.left) return t("composer.locked.left");
  if (!state.info) return t("composer.locked.connecting");
  if (state.info.open === false) return t("composer.locked.closed");
  if (state.mutedUntil !== null) {
    if (state.mutedUntil === Infinity) return t("composer.locked.muted");
    return t("composer.locked.mutedUntil", { until: formatUntil(new Date(state.mutedUntil).toISOString()) });
  }
  if (!state.charterOk) return t("composer.locked.charter");
  return null;
}

function renderComposer() {
  const reason = lockReason();
  // The text area stays usable during a short reconnection: only sending waits.
  const connected = socket.state === "open" && state.joined;
  els.text.disabled = Boolean(reason);
  els.cw.disabled = Boolean(reason);
  els.text.readOnly = Boolean(state.sending);
  els.composer.setAttribute("aria-busy", state.sending ? "true" : "false");
  const cooling = state.cooldownUntil > Date.now();
  els.send.disabled = Boolean(reason) || !connected || Boolean(state.sending) || cooling;
  let label = t("composer.send");
  if (state.sending) label = t("composer.sending");
  else if (cooling) label = t("composer.wait", { s: Math.ceil((state.cooldownUntil - Date.now()) / 1000) });
  setText(els.send, label);
  let lockText = reason || "";
  if (!reason && !connected) lockText = t("composer.locked.connecting");
  setText(els.lock, lockText);
  els.lock.hidden = lockText === "";
  els.composer.classList.toggle("locked", Boolean(reason));
}

function renderCounter() {
  const n = codePoints(els.text.value);
  const max = maxLength();
  setText(els.counter, `${n} / ${max}`);
  els.counter.classList.toggle("near", n > max * 0.9 && n <= max);
  els.counter.classList.toggle("over", n > max);
  els.counter.setAttribute("title", t("composer.counterLabel", { n, max }));
  if (n > max) {
    if (els.error.dataset.kind !== "too-long") showComposerError(t("composer.tooLongLocal", { max }), "too-long");
  } else if (els.error.dataset.kind === "too-long") {
    clearComposerError();
  }
}

function showComposerError(text, kind = "server") {
  els.error.dataset.kind = kind;
  setText(els.error, text);
}

function clearComposerError() {
  delete els.error.dataset.kind;
  setText(els.error, "");
}

function startCooldown(seconds, message) {
  const ms = Math.max(0.5, Number(seconds) || 1) * 1000;
  state.cooldownUntil = Date.now() + ms;
  showComposerError(`${message} ${t("composer.retryIn", { s: Math.ceil(ms / 1000) })}`, "cooldown");
  clearInterval(cooldownTimer);
  cooldownTimer = setInterval(() => {
    if (Date.now() >= state.cooldownUntil) {
      clearInterval(cooldownTimer);
      cooldownTimer = null;
      state.cooldownUntil = 0;
      if (els.error.dataset.kind === "cooldown") clearComposerError();
    }
    renderComposer();
  }, 250);
  renderComposer();
}

function setMuted(until) {
  clearTimeout(mutedTimer);
  const at = until ? Date.parse(until) : Infinity;
  if (Number.isFinite(at) && at <= Date.now()) {
    state.mutedUntil = null;
  } else {
    state.mutedUntil = Number.isNaN(at) ? Infinity : at;
    if (Number.isFinite(at)) {
      mutedTimer = setTimer(() => {
        state.mutedUntil = null;
        renderComposer();
      }, at - Date.now() + 500);
    }
  }
  renderComposer();
}

async function send() {
  if (state.sending || lockReason() || state.cooldownUntil > Date.now()) return;
  if (!(socket.state === "open" && state.joined)) return;
  const text = els.text.value;
  const cw = els.cw.value.trim() || null;
  const trimmed = text.trim();
  if (trimmed === "") {
    showComposerError(t("err.empty"), "local");
    return;
  }
  if (codePoints(trimmed) > maxLength()) {
    showComposerError(t("err.too_long", { max: maxLength() }), "too-long");
    return;
  }
  // The server closes the connection on a frame over 16 KiB (1009): never send one.
  if (new TextEncoder().encode(JSON.stringify({ type: "say", room: slug, text, cw, ref: "c000000" })).length > MAX_FRAME_BYTES) {
    showComposerError(t("err.too_long", { max: maxLength() }), "too-long");
    return;
  }
  clearComposerError();
  setText(els.composerStatus, "");
  state.sending = { text, cw };
  renderComposer();
  let reply;
  try {
    reply = await socket.request({ type: "say", room: slug, text, cw });
  } catch {
    // Cut off before the answer: keep the text; the next join tells whether it went out.
    state.unsent = state.sending;
    state.sending = null;
    renderComposer();
    return;
  }
  state.sending = null;
  if (reply.type === "ack") {
    if (typeof reply.id === "string") {
      rememberMine(reply.id);
      const entry = state.messages.get(reply.id);
      if (entry && !entry.el.classList.contains("mine")) refreshMessageFlags();
    }
    if (els.text.value === text) els.text.value = "";
    els.cw.value = "";
    els.cwDetails.open = false;
    renderCounter();
    clearComposerError();
    if (reply.status === "held") setText(els.composerStatus, t("composer.held"));
    scrollToBottom();
  } else if (reply.type === "error") {
    handleSayError(reply);
  }
  renderComposer();
}

function handleSayError(frame) {
  const message = errorText(frame);
  switch (frame.code) {
    case "rate_limited":
    case "slow_mode":
      startCooldown(frame.retry_after_s, message);
      break;
    case "muted":
      setMuted(frame.until || null);
      showComposerError(frame.until ? `${message} ${t("composer.until", { until: formatUntil(frame.until) })}` : message);
      break;
    case "room_closed":
      if (state.info) state.info.open = false;
      renderClosed();
      showComposerError(message);
      refreshRoomInfo();
      break;
    case "too_long":
      showComposerError(t("err.too_long", { max: frame.max_length || maxLength() }), "too-long");
      break;
    case "not_joined":
      showComposerError(message);
      state.joined = false;
      joinRoom();
      break;
    default:
      showComposerError(message);
  }
}

els.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});

els.text.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey || event.altKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  send();
});

els.text.addEventListener("input", () => {
  renderCounter();
  if (els.error.dataset.kind === "local" || els.error.dataset.kind === "server") clearComposerError();
});

// -- notices (gap, closed, moderation, join problems) ----------------------------------------------

function noticeEl(name) {
  return els.notices.querySelector(`[data-notice="${CSS.escape(name)}"]`);
}

function placeNotice(name, node) {
  const existing = noticeEl(name);
  node.setAttribute("data-notice", name);
  if (existing) existing.replaceWith(node);
  else els.notices.appendChild(node);
}

function removeNotice(name) {
  const existing = noticeEl(name);
  if (existing) {
    const hadFocus = existing.contains(document.activeElement);
    existing.remove();
    if (hadFocus) els.messages.focus();
  }
}

function showNotice(name, text, { discreet = false, dismissible = !discreet, home = false, rejoin = false, key = null } = {}) {
  const box = h("div", { class: discreet ? "notice discreet" : "notice" });
  const p = h("p", { class: "notice-text" }, text);
  if (key) p.setAttribute("data-i18n", key);
  box.appendChild(p);
  const buttons = h("p", { class: "notice-actions" });
  if (rejoin) {
    buttons.appendChild(h("button", { type: "button", class: "button small", "data-notice-action": "rejoin" }, t("notice.rejoin")));
  }
  if (home) {
    buttons.appendChild(h("a", { href: "/", class: "button small" }, t("nav.rooms")));
  }
  if (dismissible) {
    buttons.appendChild(h("button", { type: "button", class: "button small quiet", "data-notice-action": "close" }, t("notice.close")));
  }
  if (buttons.childNodes.length) box.appendChild(buttons);
  placeNotice(name, box);
}

els.notices.addEventListener("click", (event) => {
  const button = event.target.closest("[data-notice-action]");
  if (!button) return;
  const box = button.closest("[data-notice]");
  const action = button.getAttribute("data-notice-action");
  if (action === "close" && box) {
    box.remove();
    els.messages.focus();
  } else if (action === "rejoin") {
    state.left = null;
    if (box) box.remove();
    joinRoom();
    els.messages.focus();
  } else if (action === "invite") {
    openInvite(button.dataset.room, button);
  }
});

function handleNotice(frame) {
  const code = typeof frame.code === "string" ? frame.code : "other";
  const fallbackKey = has(`notice.fallback.${code}`) ? `notice.fallback.${code}` : "notice.fallback.other";
  let text = typeof frame.text === "string" && frame.text.trim() ? frame.text : t(fallbackKey);
  if (frame.until && (code === "muted" || code === "banned")) {
    text = `${text} ${t("composer.until", { until: formatUntil(frame.until) })}`;
  }
  if (code === "muted") setMuted(frame.until || null);
  if (code === "kicked" || code === "banned") {
    state.left = code;
    renderComposer();
  }
  if (code === "room_closing") refreshRoomInfo();
  // The notices area is a polite live region: no toast on top, it would be read twice.
  showNotice(`notice-${code}`, text, { rejoin: code === "kicked" });
}

// -- crisis pointer (protocol §7) -------------------------------------------------------------------

let pointerShown = null;  // { frame, card, title, text, list }: the crisis card on the page

function pointerParagraphs(text) {
  return String(text || "").split(/\r?\n/).filter((line) => line.trim() !== "").map((line) => h("p", null, line));
}

function resourceItems(resources) {
  return (Array.isArray(resources) ? resources : []).filter((r) => r && typeof r === "object").map((r) => {
    const li = h("li", { class: "resource" });
    const name = r.name === null || r.name === undefined ? "" : String(r.name).trim();
    const phone = r.phone === null || r.phone === undefined ? "" : String(r.phone).trim();
    const sameAsPhone = name !== "" && phone !== "" && name.replace(/\s/g, "") === phone.replace(/\s/g, "");
    if (name && !sameAsPhone) li.appendChild(h("strong", { class: "resource-name" }, name));
    // A call link unless the line only takes texts; a text link when it takes them (protocol §7).
    if (phone && callable(r)) {
      if (li.firstChild) li.appendChild(document.createTextNode(" "));
      li.appendChild(h("a", {
        class: "tel resource-phone", href: telHref(phone), "aria-label": t("pointer.call", { phone }),
      }, phone));
    }
    const sms = smsLink(r, "resource-sms");
    if (sms) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(sms);
    }
    const details = [r.hours, r.description].filter((x) => typeof x === "string" && x.trim() !== "");
    if (details.length) li.appendChild(h("span", { class: "resource-details" }, details.join(" · ")));
    const url = safeUrl(r.url);
    if (url) {
      li.appendChild(h("a", {
        class: "resource-url", href: url, target: "_blank", rel: "noopener noreferrer",
        "aria-label": name ? t("pointer.siteOf", { name }) : null,
      }, t("pointer.site")));
    }
    return li;
  });
}

function showPointer(frame) {
  const titleId = "pointer-title";
  const close = h("button", { type: "button", class: "pointer-close button small quiet", "aria-label": t("pointer.close") }, t("notice.close"));
  const title = h("h2", { id: titleId, class: "pointer-title" }, String(frame.title || t("pointer.region")));
  const text = h("div", { class: "pointer-text" }, pointerParagraphs(frame.text));
  const items = resourceItems(frame.resources);
  const list = h("ul", { class: "resources", hidden: items.length === 0 }, items);
  const card = h("section", { class: "pointer-card", "aria-labelledby": titleId },
    h("div", { class: "pointer-head" }, title, close),
    text,
    list,
    // Not the right country? The lines change here and now, and the next card is for it.
    countryPicker({ className: "pointer-country" }),
    h("p", { class: "pointer-private" }, t("pointer.private")),
  );
  close.addEventListener("click", () => {
    const hadFocus = card.contains(document.activeElement);
    card.remove();
    if (pointerShown && pointerShown.card === card) pointerShown = null;
    if (hadFocus) (els.text.disabled ? els.messages : els.text).focus();
  });
  replaceChildren(els.pointer, card);
  pointerShown = { frame, card, title, text, list };
  // Bring it into view without moving the keyboard focus away from what the person is doing.
  card.scrollIntoView({ block: "nearest" });
}

/**
 * The country changed with the card on the page: put the new country's card around the server's
 * own sentence (what happens next, `next`), in place, so the focused choice stays where it is.
 */
async function refreshPointer() {
  const shown = pointerShown;
  if (!shown || !shown.card.isConnected) return;
  const locale = helplineLocale();
  const card = await fetchCard(locale);
  if (!card || pointerShown !== shown || helplineLocale() !== locale || card.resources.length === 0) return;
  const frame = shown.frame;
  if (typeof card.title === "string" && card.title.trim() !== "") setText(shown.title, card.title);
  if (frame.variant !== "other" && typeof frame.next === "string" && typeof card.text === "string") {
    replaceChildren(shown.text, pointerParagraphs(`${card.text}\n${frame.next}`));
  }
  const items = resourceItems(card.resources);
  replaceChildren(shown.list, items);
  shown.list.hidden = items.length === 0;
}

let rehelloTimer = null;

/**
 * The country changed: say hello again (a new connection, as for a language switch), so the
 * server's next crisis card is for it. Not while a message is on its way; a connection not open
 * yet says hello with the new locale anyway.
 */
function rehello() {
  clearTimeout(rehelloTimer);
  rehelloTimer = setTimeout(() => {
    if (socket.state === "stopped" || socket.state === "waiting" || socket.state === "idle") return;
    if (socket.state === "connecting" || state.sending || state.joining) {
      rehello();
      return;
    }
    if (socket.sessionLocale === helplineLocale()) return;
    quietUntil = Date.now() + 3000;
    socket.restart();
  }, 400);
}

onCountryChange(() => {
  rehello();
  refreshPointer();
});

// -- report and erase dialogs ----------------------------------------------------------------------

function openDialog(dialog) {
  if (typeof dialog.showModal === "function") {
    if (!dialog.open) dialog.showModal();
  } else {
    dialog.setAttribute("open", "");
  }
}

function closeDialog(dialog) {
  if (typeof dialog.close === "function") dialog.close();
  else dialog.removeAttribute("open");
}

function openReport(frame, opener) {
  state.reportTarget = { id: frame.id, author: frame.author && frame.author.pseudonym, opener };
  const quote = frame.text.length > 200 ? `${[...frame.text].slice(0, 200).join("")}…` : frame.text;
  replaceChildren(els.reportQuote,
    h("span", { class: "message-author" }, (frame.author && frame.author.pseudonym) || ""), " : ",
    h("span", { class: "report-quote-text" }, frame.cw ? `[${frame.cw}]` : quote));
  els.reportQuote.setAttribute("lang", roomLang());
  els.reportReason.value = "";
  setText(els.reportError, "");
  els.reportSubmit.disabled = false;
  openDialog(els.reportDialog);
  els.reportReason.focus();
}

function restoreFocus(opener) {
  if (opener && document.contains(opener) && !opener.closest("[hidden]")) opener.focus();
  else els.messages.focus();
}

els.reportDialog.addEventListener("close", () => {
  const target = state.reportTarget;
  state.reportTarget = null;
  restoreFocus(target && target.opener);
});

els.reportCancel.addEventListener("click", () => closeDialog(els.reportDialog));

els.reportForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const target = state.reportTarget;
  if (!target) return;
  els.reportSubmit.disabled = true;
  setText(els.reportError, "");
  let reply;
  try {
    reply = await socket.request({
      type: "report", room: slug, message_id: target.id, reason: els.reportReason.value.trim(),
    });
  } catch {
    setText(els.reportError, t("err.disconnected"));
    els.reportSubmit.disabled = false;
    return;
  }
  els.reportSubmit.disabled = false;
  if (reply.type === "ack") {
    closeDialog(els.reportDialog);
    toast(t("report.thanks"));
  } else {
    setText(els.reportError, reply.code === "not_found" ? t("err.not_found") : errorText(reply));
  }
});

let eraseOpener = null;
els.eraseOpen.addEventListener("click", () => {
  eraseOpener = els.eraseOpen;
  setText(els.eraseError, "");
  els.eraseConfirm.disabled = false;
  openDialog(els.eraseDialog);
  els.eraseCancel.focus();
});

els.eraseDialog.addEventListener("close", () => {
  restoreFocus(eraseOpener);
  eraseOpener = null;
});

els.eraseCancel.addEventListener("click", () => closeDialog(els.eraseDialog));

els.eraseForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  els.eraseConfirm.disabled = true;
  setText(els.eraseError, "");
  let reply;
  try {
    reply = await socket.request({ type: "erase_mine" });
  } catch {
    setText(els.eraseError, t("err.disconnected"));
    els.eraseConfirm.disabled = false;
    return;
  }
  els.eraseConfirm.disabled = false;
  if (reply.type === "ack") {
    closeDialog(els.eraseDialog);
    toast(t("erase.done"));
  } else {
    setText(els.eraseError, errorText(reply));
  }
});

// -- tête-à-tête: the private room itself ------------------------------------------------------------

function isPrivate() {
  return Boolean(state.info && state.info.private === true) || state.priv.known;
}

function otherName() {
  return state.priv.with || t("private.other");
}

function roomHref(room, { staff = state.asHelper } = {}) {
  return `/r/${encodeURIComponent(room)}${staff ? "?staff=1" : ""}`;
}

/** Keep who and where from for this tab, so that a reload knows before any frame. */
function rememberPrivate({ with: other, from_room: fromRoom }) {
  let changed = false;
  if (typeof other === "string" && other !== "" && other !== state.priv.with) {
    state.priv.with = other;
    changed = true;
  }
  if (typeof fromRoom === "string" && fromRoom !== "" && fromRoom !== state.priv.fromRoom) {
    state.priv.fromRoom = fromRoom;
    changed = true;
  }
  if (!changed) return;
  session.setJSON(KEYS.privateMeta(slug), { with: state.priv.with, from_room: state.priv.fromRoom });
  renderPrivateTitle();
  renderPresence();
  if (state.priv.ended) renderPrivateEnd();
}

function renderPrivateTitle() {
  if (!isPrivate() && !state.priv.unavailable) return;
  const key = state.priv.with && !state.priv.unavailable ? "private.title" : "private.titleNoName";
  els.title.removeAttribute("data-i18n");
  els.title.removeAttribute("lang");
  setText(els.title, t(key, { name: state.priv.with }));
  document.title = t("private.docTitle");
}

function setKey(el, key) {
  el.setAttribute("data-i18n", key);
  setText(el, t(key));
}

/** What a tête-à-tête shows and hides: no renaming, no ignoring, no team toggle; a way out. */
function renderPrivateChrome() {
  const priv = isPrivate();
  document.body.classList.toggle("is-private", priv);
  els.reroll.hidden = priv;
  els.pseudoDetails.hidden = priv;
  els.ignoredCard.hidden = priv;
  if (priv) els.helperCard.hidden = true;
  els.leave.hidden = !priv || state.priv.ended;
  els.leave.disabled = state.priv.leaving;
  setKey(els.crisisNoticeText, priv ? "crisis.noticePrivate" : "crisis.notice");
  setKey(els.pseudoNote, priv ? "pseudo.notePrivate" : "pseudo.note");
  setKey(els.empty, priv ? "messages.emptyPrivate" : "messages.empty");
  setKey($("about-title"), priv ? "about.titlePrivate" : "about.title");
  const label = priv ? "messages.labelPrivate" : "messages.label";
  els.messages.setAttribute("data-i18n-attr", `aria-label:${label}`);
  els.messages.setAttribute("aria-label", t(label));
}

function handlePrivateRoom(frame) {
  if (typeof frame.room !== "string" || frame.room === "") return;
  if (frame.room === slug) {
    state.priv.known = true;
    rememberPrivate(frame);
    if (ENDED_STATES.has(frame.state)) privateEnded(typeof frame.reason === "string" ? frame.reason : null);
    else renderPrivateChrome();
    return;
  }
  // A tête-à-tête elsewhere: its invitation is answered (here or in another tab), or over.
  if (frame.state !== "invited") dropInvite(frame.room, frame.state === "expired" ? "expired" : null);
  if (frame.state === "open" && !state.navigating) {
    state.openPrivate.set(frame.room, frame);
    renderReturnBanner(frame.room);
  } else if (frame.state !== "open") {
    state.openPrivate.delete(frame.room);
    removeNotice(`private-${frame.room}`);
  }
}

/** On another room's page: the way back to one's open tête-à-tête (after a reload, say). */
function renderReturnBanner(room) {
  const frame = state.openPrivate.get(room);
  if (!frame) return;
  const name = typeof frame.with === "string" && frame.with ? frame.with : t("private.other");
  placeNotice(`private-${room}`, h("div", { class: "notice private-notice" },
    h("p", { class: "notice-text" }, t("private.banner", { name })),
    h("p", { class: "notice-actions" },
      h("a", { href: roomHref(room), class: "button small primary" }, t("private.return")))));
}

/** The tête-à-tête is over (either left, or was away too long): say so, with the helplines. */
function privateEnded(reason) {
  const first = !state.priv.ended;
  state.priv.ended = true;
  if (reason) state.priv.reason = reason;
  if (state.priv.leaving) state.priv.byMe = true;
  state.left = "closed";
  state.joined = false;
  clearTimeout(joinRetryTimer);
  const focusLost = !document.activeElement || document.activeElement === document.body
    || document.activeElement === els.text || document.activeElement === els.leave;
  removeNotice("private-intro");
  if (els.leaveDialog.open && !state.priv.leaving) closeDialog(els.leaveDialog);
  const box = renderPrivateEnd();
  renderPrivateChrome();
  renderPresence();
  renderStatus();
  renderComposer();
  if (first && focusLost && !els.leaveDialog.open) box.querySelector("h2").focus();
}

function renderPrivateEnd() {
  const p = state.priv;
  const lines = [];
  if (p.byMe) lines.push(t("private.endedByYou"));
  else if (p.reason === "left") lines.push(t("private.endedLeft"));
  else if (p.reason === "absent") lines.push(t("private.endedAbsent"));
  else if (p.reason === "expired") lines.push(t("private.endedExpired"));
  else if (p.reason === "declined") lines.push(t("private.endedDeclined"));
  lines.push(t("private.endedHelp"));
  const actions = [];
  if (p.fromRoom) actions.push(h("a", { href: roomHref(p.fromRoom), class: "button small primary" }, t("private.back")));
  if (state.asHelper) actions.push(h("a", { href: "/staff", class: "button small" }, t("private.dashboard")));
  actions.push(h("a", { href: "/", class: "button small" }, t("nav.rooms")));
  return helplinesBox("private-end", { title: t("private.ended"), lines, actions });
}

function renderPrivateUnavailable() {
  if (!state.priv.unavailable) return;
  // Nothing to read, write or set here: only the words, the helplines and the way out.
  els.messages.closest(".messages-wrap").hidden = true;
  $("composer-area").hidden = true;
  document.querySelector(".room-side").hidden = true;
  renderPrivateTitle();
  helplinesBox("join", {
    title: t("private.unavailableTitle"),
    lines: [t("private.unavailable"), t("private.endedHelp")],
    actions: [h("a", { href: "/", class: "button small" }, t("nav.rooms"))],
  });
  renderPresence();
}

els.leave.addEventListener("click", () => {
  if (state.priv.ended) return;
  setText(els.leaveText, t("private.leaveText", { name: otherName() }));
  setText(els.leaveError, "");
  els.leaveConfirm.disabled = false;
  openDialog(els.leaveDialog);
  els.leaveCancel.focus();
});

els.leaveCancel.addEventListener("click", () => closeDialog(els.leaveDialog));

els.leaveDialog.addEventListener("close", () => {
  if (state.priv.ended) {
    const heading = noticeEl("private-end") && noticeEl("private-end").querySelector("h2");
    if (heading) heading.focus();
  } else {
    restoreFocus(els.leave);
  }
});

els.leaveForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (state.priv.leaving) return;
  if (state.priv.ended) {
    closeDialog(els.leaveDialog);
    return;
  }
  state.priv.leaving = true;
  els.leaveConfirm.disabled = true;
  setText(els.leaveError, "");
  let reply;
  try {
    reply = await socket.request({ type: "leave", room: slug });
  } catch {
    reply = null;
  }
  if (reply && reply.type === "left") {
    privateEnded("left");
    state.priv.leaving = false;
    closeDialog(els.leaveDialog);
    return;
  }
  state.priv.leaving = false;
  if (state.priv.ended) {
    // It ended on the way (the private_room frame came first).
    closeDialog(els.leaveDialog);
    return;
  }
  els.leaveConfirm.disabled = false;
  setText(els.leaveError, reply ? errorText(reply) : t("err.disconnected"));
});

// -- tête-à-tête: an invitation, on any room page --------------------------------------------------------

function saveInviteLater() {
  session.setJSON(KEYS.inviteLater, [...state.inviteLater].slice(-20));
}

function inviteUntil(frame) {
  return typeof frame.expires === "string" ? formatUntil(frame.expires) : "";
}

function handleInvite(frame) {
  if (typeof frame.room !== "string" || frame.room === "" || state.navigating) return;
  const known = state.invites.get(frame.room);
  const invite = known || { frame, busy: false, timer: null };
  invite.frame = frame;
  state.invites.set(frame.room, invite);
  clearTimeout(invite.timer);
  const expires = Date.parse(frame.expires);
  if (Number.isFinite(expires)) {
    invite.timer = setTimer(() => dropInvite(frame.room, "expired"), expires - Date.now() + 1500);
  }
  if (state.inviteShown === frame.room) {
    renderInviteDialog();
  } else if (known || state.inviteLater.has(frame.room) || state.inviteShown !== null) {
    // Sent again (each hello), put off, or another one is on screen: a line at the top.
    renderInviteBanner(frame.room);
  } else {
    openInvite(frame.room, null);
  }
}

function renderInviteBanner(room) {
  const invite = state.invites.get(room);
  if (!invite || state.inviteShown === room) return;
  const helper = String(invite.frame.helper || "");
  placeNotice(`invite-${room}`, h("div", { class: "notice invite-notice" },
    h("p", { class: "notice-text" }, t("invite.banner", { helper, until: inviteUntil(invite.frame) })),
    h("p", { class: "notice-actions" },
      h("button", { type: "button", class: "button small primary", "data-notice-action": "invite", "data-room": room },
        t("invite.show")))));
}

function openInvite(room, opener) {
  if (!state.invites.has(room)) return;
  if (state.inviteShown !== null && state.inviteShown !== room) return;
  state.inviteShown = room;
  state.inviteOpener = opener || document.activeElement;
  removeNotice(`invite-${room}`);
  setText(els.inviteError, "");
  renderInviteDialog();
  openDialog(els.inviteDialog);
  // The title takes the focus, not a button: someone pressing Enter to send a message as the
  // dialog appears must not answer it by accident.
  els.inviteTitle.focus();
}

function renderInviteDialog() {
  const invite = state.invites.get(state.inviteShown);
  if (!invite) return;
  const frame = invite.frame;
  const helper = String(frame.helper || "");
  // The server's invitation, in the session's language; ours when the interface speaks another.
  const text = typeof frame.text === "string" && frame.text.trim() !== "" && serverSpeaksUi()
    ? frame.text : t("invite.text", { helper });
  setText(els.inviteText, text);
  const until = inviteUntil(frame);
  setText(els.inviteExpiry, state.navigating ? t("invite.opening") : until ? t("invite.expires", { until }) : "");
  els.inviteAccept.disabled = invite.busy || state.navigating;
  els.inviteDecline.disabled = invite.busy || state.navigating;
}

/** Forget an invitation: answered, expired, or no longer valid. */
function dropInvite(room, why) {
  const invite = state.invites.get(room);
  if (!invite) return;
  clearTimeout(invite.timer);
  state.invites.delete(room);
  if (state.inviteLater.delete(room)) saveInviteLater();
  removeNotice(`invite-${room}`);
  if (state.inviteShown === room) closeDialog(els.inviteDialog);
  if (why === "expired") showNotice(`invite-end-${room}`, t("invite.expired"), { key: "invite.expired" });
}

els.inviteDialog.addEventListener("close", () => {
  const room = state.inviteShown;
  const opener = state.inviteOpener;
  state.inviteShown = null;
  state.inviteOpener = null;
  if (state.navigating) return;
  if (room && state.invites.has(room)) {
    // Closed without an answer (Later, Escape): it stays at the top of the page while it stands.
    state.inviteLater.add(room);
    saveInviteLater();
    renderInviteBanner(room);
  }
  restoreFocus(opener && opener !== document.body ? opener : null);
});

els.inviteLater.addEventListener("click", () => closeDialog(els.inviteDialog));

async function answerInvite(accept) {
  const room = state.inviteShown;
  const invite = room && state.invites.get(room);
  if (!invite || invite.busy || state.navigating) return;
  invite.busy = true;
  setText(els.inviteError, "");
  renderInviteDialog();
  let reply;
  try {
    reply = await socket.request({ type: "private_answer", room, accept });
  } catch {
    reply = null;
  }
  invite.busy = false;
  if (reply && reply.type === "ack") {
    if (accept) {
      state.navigating = true;
      session.setJSON(KEYS.privateMeta(room), { with: invite.frame.helper, from_room: invite.frame.from_room || slug });
      renderInviteDialog();
      location.assign(roomHref(room, { staff: false }));
      return;
    }
    dropInvite(room);
    toast(t("invite.declined"));
    return;
  }
  if (reply && reply.code === "not_found") {
    dropInvite(room);
    toast(t("invite.gone"));
    return;
  }
  renderInviteDialog();
  setText(els.inviteError, reply ? errorText(reply) : t("err.disconnected"));
}

els.inviteAccept.addEventListener("click", () => answerInvite(true));
els.inviteDecline.addEventListener("click", () => answerInvite(false));

// -- language switch -------------------------------------------------------------------------------

function relocalize() {
  // New hello in the new language, so that what the server writes (errors, notices, the crisis
  // card) follows the interface. Not while a message is on its way.
  if (socket.state === "open" && !state.sending && !state.joining) {
    quietUntil = Date.now() + 3000;
    socket.restart();
  } else {
    rehello();
  }
  if (state.info) {
    renderRoomInfo();
  }
  renderPresence();
  renderPseudonym();
  renderStatus();
  renderComposer();
  renderCounter();
  renderIgnored();
  relocalizeMessages();
  for (const p of els.notices.querySelectorAll("[data-i18n]")) setText(p, t(p.getAttribute("data-i18n")));
  renderPrivateTitle();
  if (state.priv.ended) renderPrivateEnd();
  renderPrivateUnavailable();
  renderInviteDialog();
  for (const room of state.invites.keys()) renderInviteBanner(room);
  for (const room of state.openPrivate.keys()) renderReturnBanner(room);
}

// -- speaking as a peer helper -------------------------------------------------------------------------

function setAsHelper(on) {
  state.asHelper = on;
  els.asHelper.checked = on;
  if (on) session.set(KEYS.asHelper, "1");
  else session.remove(KEYS.asHelper);
}

/** Only a browser that logged in on the staff pages asks who it is (others never send a request). */
async function offerHelperMode() {
  if (local.get(KEYS.staffHint) !== "1") return;
  let response;
  try {
    response = await fetch("/api/me", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  } catch {
    return;
  }
  if (response.status === 401) {
    local.remove(KEYS.staffHint);
    if (state.asHelper) {
      setAsHelper(false);
      socket.restart();
    }
    return;
  }
  if (!response.ok) return;
  let me = null;
  try {
    me = await response.json();
  } catch {
    return;
  }
  const rooms = me && me.rooms;
  // A tête-à-tête is in nobody's list of rooms: whether this login is one of its two people is
  // the server's answer to the join.
  const mine = privateSlug || rooms === "all" || (Array.isArray(rooms) && rooms.includes(slug));
  if (!me || (me.role !== "admin" && !mine)) {
    // Not one of this person's rooms (any more): they speak here as a peer.
    if (state.asHelper) {
      setAsHelper(false);
      socket.restart();
    }
    return;
  }
  // No switching sessions inside a tête-à-tête: the page would no longer be one of its two people.
  els.helperCard.hidden = privateSlug || isPrivate();
  els.asHelper.checked = state.asHelper;
}

els.asHelper.addEventListener("change", () => {
  setAsHelper(els.asHelper.checked);
  // Another session speaks from now on: its own pseudonym here, the badge on its messages.
  state.pseudonym = null;
  namesCache = null;
  renderPseudonym();
  quietUntil = Date.now() + 3000;
  socket.restart();
  toast(t(state.asHelper ? "asHelper.on" : "asHelper.off"));
});

// -- start ---------------------------------------------------------------------------------------------

function start() {
  initLangSwitch($("lang-switch"));
  onLangChange(relocalize);
  // The helplines beside the chat, with the choice of country: they follow it (and the
  // interface language) by themselves.
  replaceChildren(els.helplinesSide, helplinesBlock({ note: true }));
  renderIgnored();
  renderStatus();
  renderComposer();
  renderCounter();
  if (!slug) {
    state.fatal = "unknown_room";
    showNotice("join", t("err.unknown_room"), { home: true });
    renderStatus();
    renderComposer();
    return;
  }
  socket.start();
  offerHelperMode();
}

start();
