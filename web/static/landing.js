// The landing page: the room list from /api/rooms, with live presence refreshed every 5 s
// while the page is visible. Only what changed is touched, so focus and reading stay put.

import { h, replaceChildren, setText } from "./dom.js";
import { t, initLangSwitch, onLangChange, formatWhen } from "./i18n.js";
import { emergencyLine, abroadLine } from "./helplines.js";

const REFRESH_MS = 5000;
const list = document.getElementById("rooms");
const status = document.getElementById("rooms-status");
let rooms = [];          // last answer of /api/rooms
let loaded = false;
let failed = false;
let inFlight = false;

function safeToken(value) {
  return String(value || "").toLowerCase().replace(/[^a-z0-9-]/g, "").slice(0, 40);
}

function presenceText(presence) {
  const count = Number(presence && presence.count) || 0;
  const helpers = Number(presence && presence.helpers) || 0;
  return `${t("presence.people", { n: count })} · ${t("presence.helpers", { n: helpers })}`;
}

function nextOpenText(room) {
  if (room.open) return "";
  return room.next_open ? t("closed.opens", { when: formatWhen(room.next_open) }) : t("closed.opensWithHelper");
}

function createCard(room) {
  const slug = String(room.slug);
  const link = h("a", { class: "room-link", href: "/r/" + encodeURIComponent(slug) });
  const card = h(
    "li",
    { class: "room-card", "data-slug": slug, "data-theme": safeToken(room.theme) },
    h("div", { class: "room-card-head" },
      h("h3", { class: "room-title" }, link),
      h("p", { class: "room-badges" },
        h("span", { class: "badge badge-lang" },
          h("span", { class: "badge-lang-code", "aria-hidden": "true" }),
          h("span", { class: "sr-only badge-lang-name" })),
        h("span", { class: "badge badge-closed", hidden: true }))),
    h("p", { class: "room-description" }),
    h("p", { class: "room-meta" },
      h("span", { class: "room-presence" }),
      h("span", { class: "room-next", hidden: true })),
  );
  updateCard(card, room);
  return card;
}

function updateCard(card, room) {
  const lang = room.lang === "en" ? "en" : "fr";
  if (card.getAttribute("lang") !== lang) card.setAttribute("lang", lang);
  setText(card.querySelector(".room-link"), room.title || room.slug);
  setText(card.querySelector(".room-description"), room.description || "");
  // The badge speaks the interface language, not the room's.
  const code = card.querySelector(".badge-lang-code");
  const name = card.querySelector(".badge-lang-name");
  setText(code, t(`lang.badge.${lang}`));
  setText(name, t(`lang.name.${lang}`));
  code.parentElement.setAttribute("lang", document.documentElement.lang);
  const closed = card.querySelector(".badge-closed");
  setText(closed, t("closed.badge"));
  closed.setAttribute("lang", document.documentElement.lang);
  if (closed.hidden !== Boolean(room.open)) closed.hidden = Boolean(room.open);
  const presence = card.querySelector(".room-presence");
  setText(presence, presenceText(room.presence));
  presence.classList.toggle("is-empty", !(Number(room.presence && room.presence.count) > 0));
  presence.setAttribute("lang", document.documentElement.lang);
  const next = card.querySelector(".room-next");
  setText(next, nextOpenText(room));
  next.setAttribute("lang", document.documentElement.lang);
  if (next.hidden !== Boolean(room.open)) next.hidden = Boolean(room.open);
  card.classList.toggle("is-closed", !room.open);
}

function render() {
  const existing = new Map();
  for (const card of list.querySelectorAll(".room-card")) existing.set(card.dataset.slug, card);
  const seen = new Set();
  let previous = null;
  for (const room of rooms) {
    if (!room || typeof room.slug !== "string") continue;
    seen.add(room.slug);
    let card = existing.get(room.slug);
    if (card) {
      updateCard(card, room);
    } else {
      card = createCard(room);
      const before = previous ? previous.nextSibling : list.firstChild;
      list.insertBefore(card, before);
    }
    previous = card;
  }
  for (const [slug, card] of existing) {
    if (!seen.has(slug)) card.remove();
  }
  if (failed) {
    setText(status, t("landing.error"));
    status.hidden = false;
  } else if (loaded && rooms.length === 0) {
    setText(status, t("landing.empty"));
    status.hidden = false;
  } else if (loaded) {
    status.hidden = true;
  } else {
    setText(status, t("landing.loading"));
  }
}

async function refresh() {
  if (inFlight) return;
  inFlight = true;
  try {
    const response = await fetch("/api/rooms", { cache: "no-store", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    if (!Array.isArray(data)) throw new Error("bad answer");
    rooms = data;
    loaded = true;
    failed = false;
  } catch {
    failed = true;
  } finally {
    inFlight = false;
  }
  render();
}

function renderEmergency() {
  replaceChildren(document.getElementById("emergency-line"), emergencyLine());
  replaceChildren(document.getElementById("emergency-abroad"), abroadLine());
}

initLangSwitch(document.getElementById("lang-switch"));
renderEmergency();
onLangChange(() => {
  renderEmergency();
  render();
});
refresh();

setInterval(() => {
  if (document.visibilityState === "visible") refresh();
}, REFRESH_MS);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh();
});
