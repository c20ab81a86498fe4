// Helplines shown on closed rooms and beside the chat, chosen by the room's language
// (helplines.md: one emergency line and one or two listening lines, tap-to-call).

import { h, replaceChildren, telHref } from "./dom.js";
import { t } from "./i18n.js";

const LINES = {
  fr: [
    { numbers: ["3114"], note: "helplines.fr.3114" },
    { numbers: ["09 72 39 40 50"], note: "helplines.fr.sos" },
    { numbers: ["15", "112"], note: "helplines.fr.emergency" },
  ],
  en: [
    { numbers: ["116 123"], note: "helplines.en.samaritans" },
    { numbers: ["988"], note: "helplines.en.988" },
    { numbers: ["112", "999", "911"], note: "helplines.en.emergency" },
  ],
};

function numberLinks(numbers) {
  const parts = [];
  numbers.forEach((number, i) => {
    if (i > 0) parts.push(h("span", { class: "sep", "aria-hidden": "true" }, " / "));
    parts.push(h("a", { class: "tel", href: telHref(number) }, number));
  });
  return parts;
}

/** A list of helplines for a room language ("fr" or "en"). */
export function helplineList(roomLang) {
  const lines = LINES[roomLang] || LINES.fr;
  return h(
    "ul",
    { class: "helplines-list" },
    lines.map((line) =>
      h("li", null, h("span", { class: "helpline-numbers" }, numberLinks(line.numbers)), " ",
        h("span", { class: "helpline-note" }, t(line.note))),
    ),
  );
}

/** The landing page's emergency line: "En cas d'urgence : 3114 (…) · 15 · 112". */
export function emergencyLine() {
  return [
    h("span", { class: "emergency-label" }, t("emergency.label")), " ",
    h("a", { class: "tel", href: telHref("3114") }, "3114"), " ", t("emergency.3114"),
    h("span", { "aria-hidden": "true" }, " · "),
    h("a", { class: "tel", href: telHref("15") }, "15"),
    h("span", { "aria-hidden": "true" }, " · "),
    h("a", { class: "tel", href: telHref("112") }, "112"),
  ];
}

/** The line under it for people outside France. */
export function abroadLine() {
  const dot = () => h("span", { "aria-hidden": "true" }, " · ");
  return [
    t("emergency.abroad"), " Samaritans ",
    h("a", { class: "tel", href: telHref("116 123") }, "116 123"), " ", t("emergency.uk"), dot(),
    h("a", { class: "tel", href: telHref("988") }, "988"), " ", t("emergency.na"), dot(),
    h("a", { class: "tel", href: telHref("112") }, "112"), " ", t("emergency.eu"),
  ];
}

/**
 * Replace a helpline list with the server's card for `locale` (config.toml's, or the version
 * an admin edited in the console). The built-in list above stays when the card cannot be had.
 */
export async function fillFromServer(list, locale) {
  let card;
  try {
    const response = await fetch(`/api/helplines/${encodeURIComponent(locale)}`, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    card = await response.json();
  } catch {
    return;
  }
  if (!list.isConnected || !card || !Array.isArray(card.resources) || card.resources.length === 0) return;
  const cardLang = String(card.locale || locale).split("-")[0];
  replaceChildren(list, card.resources.map((line) => {
    const note = [line.name, line.hours].filter((x) => typeof x === "string" && x.trim() !== "").join(" · ");
    return h("li", null,
      h("span", { class: "helpline-numbers" }, h("a", { class: "tel", href: telHref(line.phone) }, String(line.phone))),
      " ", h("span", { class: "helpline-note", lang: cardLang }, note));
  }));
  list.dataset.source = "server";
}
