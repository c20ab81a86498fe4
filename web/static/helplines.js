// Helplines on the room page (beside the chat, on closed rooms, at the end of a tête-à-tête,
// in the crisis card) and the country they are for.
//
// The lines are the server's card for the person's locale (docs/admin.md, "Helplines"): the
// interface language and the country they chose ("Numéros d'aide pour : France ▾"), kept in
// localStorage only. Until they choose, the country is the region of their first browser
// language preference in the interface language (fr-BE -> BE), never anything learnt from the
// network; with none, "fr" is France's card and "en" one for several countries. "ZZ" is "Autre
// pays / Other country": the server's card then gives 112 and the offer to ask a peer helper,
// never a wrong country's number. A line that only takes texts (Shout 85258) gets an sms: link
// and no tel: link. The built-in lists below show until the server's card arrives (or when it
// cannot be had): France's or the several countries' lines, else the European emergency number.

import { h, local, replaceChildren, smsHref, telHref } from "./dom.js";
import { t, has, lang, onLangChange } from "./i18n.js";

const COUNTRY_KEY = "entraide.country";
export const OTHER_COUNTRY = "ZZ";
// The country a language's own card (no region) is named after in the choice: "fr" is France's.
const HOME = { fr: "FR" };
// config.toml's countries for each interface language, until a card from the server names them
// (GET /api/helplines/{locale} carries `countries`: an admin may have added one).
const countries = { fr: ["FR", "BE", "CA", "CH"], en: ["CA", "GB", "IE", "US"] };

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
const EMERGENCY_ONLY = [{ numbers: ["112"], note: "helplines.emergency112" }];

const str = (value) => (value === null || value === undefined ? "" : String(value).trim());
const sameNumber = (a, b) => a.replace(/[\s().-]/g, "") === b.replace(/[\s().-]/g, "");

// -- the country ----------------------------------------------------------------------------------

function parseTag(tag) {
  try {
    const locale = new Intl.Locale(String(tag));
    return { language: locale.language, region: locale.region || "" };
  } catch {
    const match = /^([a-z]{2,3})(?:[-_][a-z]{4})?(?:[-_]([a-z]{2}))?(?:[-_]|$)/i.exec(String(tag));
    return match ? { language: match[1].toLowerCase(), region: (match[2] || "").toUpperCase() } : { language: "", region: "" };
  }
}

/** The region of the first browser language preference in `language` that has one (fr-BE -> BE). */
export function browserCountry(language = lang()) {
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
  for (const tag of prefs) {
    const { language: tagLanguage, region } = parseTag(tag);
    if (tagLanguage === language && /^[A-Z]{2}$/.test(region)) return region;
  }
  return null;
}

function storedCountry() {
  const value = local.get(COUNTRY_KEY);
  return value && /^[A-Z]{2}$/.test(value) ? value : null;
}

/** The country chosen, else the browser's; null when neither says one. */
export function helplineCountry(language = lang()) {
  return storedCountry() || browserCountry(language);
}

/** The hello's locale and the card to ask for: "fr", "fr-BE", "en-ZZ"… */
export function helplineLocale(language = lang()) {
  const country = helplineCountry(language);
  return country ? `${language}-${country}` : language;
}

const listeners = new Set();

/** Called with the new locale when the country changes (here, or in another tab). */
export function onCountryChange(listener) {
  listeners.add(listener);
}

function changed() {
  refreshBlocks();
  syncPickers();
  const locale = helplineLocale();
  for (const listener of listeners) listener(locale);
}

export function setCountry(code) {
  if (!/^[A-Z]{2}$/.test(code)) return;
  const before = helplineLocale();
  local.set(COUNTRY_KEY, code);
  if (helplineLocale() !== before) changed();
  else syncPickers();
}

// The session (and so the crisis card) is shared by the tabs of this browser: they follow.
window.addEventListener("storage", (event) => {
  if (event.key === COUNTRY_KEY) changed();
});

// -- the server's cards ---------------------------------------------------------------------------

const served = new Map(); // locale asked for -> locale of the card the server gave (fr-RE -> fr)

/** The server's card for `locale` (config.toml's, or an admin's version); null when it cannot be had. */
export async function fetchCard(locale) {
  let card;
  try {
    const response = await fetch(`/api/helplines/${encodeURIComponent(locale)}`, { headers: { Accept: "application/json" } });
    if (!response.ok) return null;
    card = await response.json();
  } catch {
    return null;
  }
  if (!card || typeof card !== "object" || !Array.isArray(card.resources)) return null;
  if (typeof card.locale === "string") served.set(locale, card.locale);
  const language = locale.split("-")[0];
  if (Array.isArray(card.countries) && Object.prototype.hasOwnProperty.call(countries, language)) {
    const list = card.countries.filter((c) => typeof c === "string" && /^[A-Z]{2}$/.test(c) && c !== OTHER_COUNTRY);
    if (list.length) countries[language] = list;
  }
  syncPickers();
  return card;
}

function isOtherCard(cardLocale) {
  return typeof cardLocale === "string" && cardLocale.endsWith(`-${OTHER_COUNTRY}`);
}

// -- the choice -----------------------------------------------------------------------------------

function countryName(code) {
  const key = `helplines.country.${code}`;
  if (has(key)) return t(key);
  try {
    return new Intl.DisplayNames([lang()], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

function countryOptions(language) {
  const home = HOME[language];
  return (countries[language] || [])
    .map((code) => [code, countryName(code)])
    .sort((a, b) => (a[0] !== home) - (b[0] !== home) || a[1].localeCompare(b[1], language));
}

/** What the choice shows: the country, "ZZ", or "" ("en" with no country: several countries). */
function shownCountry(language, codes) {
  const country = helplineCountry(language);
  if (!country) return HOME[language] || "";
  if (country === OTHER_COUNTRY || codes.includes(country)) return country;
  // A country without a card of its own: say which card the server gave it (fr-RE is France's).
  const card = served.get(`${language}-${country}`);
  if (!card) return OTHER_COUNTRY;
  const region = card.split("-")[1];
  if (!region) return HOME[language] || "";
  return codes.includes(region) ? region : OTHER_COUNTRY;
}

const pickers = new Set();
let pickerCount = 0;

function renderPicker(select) {
  const language = lang();
  const options = countryOptions(language);
  const value = shownCountry(language, options.map(([code]) => code));
  const all = [...(value === "" ? [["", t("helplines.country.none")]] : []), ...options,
    [OTHER_COUNTRY, t("helplines.country.ZZ")]];
  const signature = JSON.stringify(all);
  if (select.dataset.signature !== signature) {
    // Rebuilt only when the countries or their names change, so a focused choice stays put.
    replaceChildren(select, all.map(([code, name]) => h("option", { value: code }, name)));
    select.dataset.signature = signature;
  }
  if (select.value !== value) select.value = value;
}

function syncPickers() {
  // Pages build and place a picker in one go: one no longer on the page has left it for good.
  for (const select of pickers) {
    if (select.isConnected) renderPicker(select);
    else pickers.delete(select);
  }
}

/**
 * "Numéros d'aide pour : [France ▾]": a labelled native select (keyboard, screen readers and
 * phones' own pickers), every copy on the page showing the same choice.
 */
export function countryPicker({ describedBy = null, className = "" } = {}) {
  pickerCount += 1;
  const id = `helpline-country-${pickerCount}`;
  const select = h("select", { id, class: "country-select", "aria-describedby": describedBy });
  select.addEventListener("change", () => {
    if (select.value) setCountry(select.value);
  });
  pickers.add(select);
  renderPicker(select);
  return h("p", { class: `country-picker ${className}`.trim() },
    h("label", { for: id, "data-i18n": "helplines.countryLabel" }, t("helplines.countryLabel")), " ", select);
}

// -- lines ----------------------------------------------------------------------------------------

/** Whether a line may be called (not a text-only one). */
export function callable(line) {
  return line.text_only !== true && str(line.phone) !== "";
}

/** The text link of a line that takes texts ("Envoyer un SMS au 85258 (écrire SHOUT)"), or null. */
export function smsLink(line, className = "") {
  const sms = str(line.sms) || (line.text_only === true ? str(line.phone) : "");
  if (!sms) return null;
  const body = str(line.sms_body);
  const text = body ? t("helplines.smsBody", { sms, body }) : t("helplines.sms", { sms });
  const name = str(line.name);
  const label = name && !sameNumber(name, sms) ? t("helplines.linkOf", { text, name }) : null;
  return h("a", { class: `sms ${className}`.trim(), href: smsHref(sms), "aria-label": label }, text);
}

function numberLinks(numbers) {
  const parts = [];
  numbers.forEach((number, i) => {
    if (i > 0) parts.push(h("span", { class: "sep", "aria-hidden": "true" }, " / "));
    parts.push(h("a", { class: "tel", href: telHref(number) }, number));
  });
  return parts;
}

function builtInItems(lines) {
  return lines.map((line) =>
    h("li", null, h("span", { class: "helpline-numbers" }, numberLinks(line.numbers)), " ",
      h("span", { class: "helpline-note" }, t(line.note))));
}

function serverItems(card, locale) {
  const cardLang = String(card.locale || locale).split("-")[0];
  return card.resources.filter((line) => line && typeof line === "object").map((line) => {
    const phone = str(line.phone);
    const note = [line.name, line.hours].map(str).filter((x) => x !== "").join(" · ");
    return h("li", null,
      callable(line) ? h("span", { class: "helpline-numbers" }, h("a", { class: "tel", href: telHref(phone) }, phone)) : null,
      smsLink(line, "helpline-sms"),
      " ", h("span", { class: "helpline-note", lang: cardLang }, note));
  });
}

// -- the block: choice, lines, and the offer to ask --------------------------------------------------

const blocks = new Set();

async function fill(entry) {
  const language = lang();
  const locale = helplineLocale(language);
  if (entry.locale === locale) return;
  entry.locale = locale;
  const country = helplineCountry(language);
  const home = !country || country === HOME[language];
  replaceChildren(entry.list, builtInItems(home ? LINES[language] || LINES.fr : EMERGENCY_ONLY));
  entry.list.dataset.source = "built-in";
  entry.ask.hidden = country !== OTHER_COUNTRY;
  const card = await fetchCard(locale);
  if (!card || entry.locale !== locale || card.resources.length === 0) return;
  replaceChildren(entry.list, serverItems(card, locale));
  entry.list.dataset.source = "server";
  entry.list.dataset.locale = String(card.locale || "");
  entry.ask.hidden = !isOtherCard(card.locale);
}

function refreshBlocks() {
  for (const entry of blocks) {
    if (entry.block.isConnected) fill(entry);
    else blocks.delete(entry);
  }
}

/**
 * The helplines for the person's locale, with the choice of country above them and, for a
 * country without lines of its own, the offer to ask a peer helper. Follows the choice and
 * the interface language by itself (its list is refilled, never rebuilt under the focus).
 */
export function helplinesBlock({ note = false } = {}) {
  const noteId = note ? `helpline-country-note-${pickerCount + 1}` : null;
  const picker = countryPicker({ describedBy: noteId });
  const list = h("ul", { class: "helplines-list" });
  const ask = h("p", { class: "helpline-ask", "data-i18n": "helplines.askHelper", hidden: true }, t("helplines.askHelper"));
  const block = h("div", { class: "helplines-block" }, picker, list, ask,
    note ? h("p", { id: noteId, class: "side-note", "data-i18n": "helplines.countryNote" }, t("helplines.countryNote")) : null);
  const entry = { block, list, ask, locale: null };
  blocks.add(entry);
  fill(entry);
  return block;
}

onLangChange(() => {
  refreshBlocks();
  syncPickers();
});

// -- the landing page -----------------------------------------------------------------------------

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
