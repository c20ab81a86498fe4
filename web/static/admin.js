// The admin console: rooms, helpers and invitations, helpline cards, crisis patterns, the audit log. Every
// change goes through the JSON API (/api/admin/...), which applies it live and logs it.

import { h, replaceChildren, setText } from "./dom.js";
import { t, addStrings, onLangChange, formatDateTime } from "./i18n.js";
import { api, ApiError, errorText, initStaffPage, roleName, say, whoAmI } from "./staff.js";

const $ = (id) => document.getElementById(id);

// The helpline editor's fields for lines that take texts (moderation/helplines.py).
addStrings({
  fr: {
    "helplines.lineSms": "Numéro où écrire par SMS (facultatif)",
    "helplines.lineSmsBody": "Mot à écrire dans le SMS (facultatif, ex. SHOUT)",
    "helplines.lineTextOnly": "Par SMS seulement : on ne peut pas l'appeler (pas de lien d'appel)",
    "helplines.summarySms": "SMS {sms}",
    "helplines.summaryTextOnly": "SMS seulement",
  },
  en: {
    "helplines.lineSms": "Number to text (optional)",
    "helplines.lineSmsBody": "Word to text (optional, e.g. SHOUT)",
    "helplines.lineTextOnly": "Text only: it cannot be called (no call link)",
    "helplines.summarySms": "text {sms}",
    "helplines.summaryTextOnly": "text only",
  },
});

// rooms/config.py THEMES: the server refuses any other.
const THEMES = ["general", "anxiete", "deuil", "bipolarite", "proches", "addictions", "retablissement", "nuit", "depression"];
const ACTIONS = [
  "room.create", "room.update", "room.archive", "room.restore", "account.create", "account.setup",
  "account.rooms", "account.disable", "invitation.create", "invitation.accept", "invitation.revoke",
  "helplines.update", "helplines.reset", "session.login", "session.logout",
  "crisis.pattern.add", "crisis.pattern.disable", "crisis.pattern.enable", "crisis.pattern.remove",
];
// moderation/crisis.py CATEGORIES and SEVERITIES (none aside): the server refuses any other.
const CRISIS_CATEGORIES = ["ideation", "plan", "self_harm", "farewell", "concern_other"];
const CRISIS_SEVERITIES = ["low", "medium", "high"];
const NUMBER_FIELDS = ["capacity", "slow_mode_s", "max_length", "history_size"];

const state = {
  rooms: [],
  accounts: [],
  invitations: [],
  helplines: [],
  crisis: [],
  audit: [],
  auditMore: false,
  editing: null,          // slug of the room in the form, null: a new room
  editingCard: null,      // locale of the helpline card in the form
  openRooms: null,        // username whose rooms are being edited
};

const status = $("admin-status");

function done(text) {
  say(status, text, "status");
}

function failed(error, target) {
  const text = error instanceof ApiError ? errorText(error) : t("err.disconnected");
  if (error instanceof ApiError && error.status === 401) {
    location.assign("/login?next=/admin");
    return;
  }
  if (target) setText(target, text);
  else say(status, text, "error");
}

function when(ts) {
  return ts ? formatDateTime(ts) : "";
}

// -- rooms -------------------------------------------------------------------------------------------

function roomState(room) {
  if (room.archived) return t("rooms.state.archived");
  return room.open ? t("rooms.state.open") : t("rooms.state.closed");
}

function renderRooms() {
  const items = state.rooms.map((room) => h("li", { class: "admin-item", "data-slug": room.slug },
    h("div", { class: "admin-item-main" },
      h("strong", { class: "admin-item-title", lang: room.lang }, room.title),
      " ", h("code", null, room.slug),
      h("span", { class: `badge ${room.archived ? "badge-closed" : ""}` }, roomState(room)),
      h("span", { class: "admin-item-meta" }, ` ${room.lang.toUpperCase()} · ${t(`rooms.source.${room.source}`)}`)),
    h("div", { class: "admin-item-actions" },
      room.archived ? null : h("button", { type: "button", class: "button small", "data-action": "edit" }, t("rooms.editButton")),
      h("button", { type: "button", class: "button small quiet", "data-action": room.archived ? "restore" : "archive" },
        t(room.archived ? "rooms.restore" : "rooms.archive")))));
  replaceChildren($("rooms-admin"), items);
}

function field(name) {
  return $(`room-${name}`);
}

function fillRoomForm(room) {
  state.editing = room ? room.slug : null;
  const form = $("room-form");
  form.reset();
  $("room-slug-field").hidden = Boolean(room);
  field("slug").value = room ? room.slug : "";
  field("title").value = room ? room.title : "";
  field("theme").value = room ? room.theme : "general";
  field("lang").value = room ? room.lang : "fr";
  field("description").value = room ? room.description : "";
  field("charter").value = room ? room.charter : "";
  field("schedule").value = room ? room.schedule.join("\n") : "";
  field("timezone").value = room ? room.timezone : "Europe/Paris";
  field("capacity").value = room ? room.capacity : 150;
  field("requires_helper").checked = room ? room.requires_helper : false;
  $(`room-moderation-${room ? room.moderation : "post"}`).checked = true;
  field("slow_mode_s").value = room ? room.slow_mode_s : 0;
  field("max_length").value = room ? room.max_length : 2000;
  field("retention_h").value = room ? room.retention_s / 3600 : 24;
  field("history_size").value = room ? room.history_size : 50;
  setText($("room-error"), "");
  renderRoomFormTitle();
  $("room-cancel").hidden = !room;
}

function renderRoomFormTitle() {
  const room = state.rooms.find((r) => r.slug === state.editing);
  setText($("room-form-title"), room ? t("rooms.edit", { title: room.title }) : t("rooms.new"));
  setText($("room-submit"), room ? t("form.save") : t("rooms.create"));
}

function roomFields() {
  const fields = {
    title: field("title").value.trim(),
    theme: field("theme").value,
    lang: field("lang").value,
    description: field("description").value.trim(),
    charter: field("charter").value.trim(),
    schedule: field("schedule").value.split(/\r?\n/).map((s) => s.trim()).filter(Boolean),
    timezone: field("timezone").value.trim() || "Europe/Paris",
    requires_helper: field("requires_helper").checked,
    moderation: $("room-moderation-pre").checked ? "pre" : "post",
    retention_s: Math.round(Number(field("retention_h").value) * 3600),
  };
  for (const name of NUMBER_FIELDS) fields[name] = Number(field(name).value);
  if (!state.editing) fields.slug = field("slug").value.trim();
  const reason = field("reason").value.trim();
  if (reason) fields.reason = reason;
  return fields;
}

$("room-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  setText($("room-error"), "");
  const submit = $("room-submit");
  submit.disabled = true;
  try {
    if (state.editing) {
      await api("PATCH", `/api/admin/rooms/${encodeURIComponent(state.editing)}`, roomFields());
      done(t("rooms.updated"));
    } else {
      await api("POST", "/api/admin/rooms", roomFields());
      done(t("rooms.created"));
    }
    await loadRooms();
    fillRoomForm(null);
    loadAudit();
  } catch (error) {
    failed(error, $("room-error"));
    if (error instanceof ApiError && error.body.field) {
      const target = field(error.body.field === "retention_s" ? "retention_h" : error.body.field);
      if (target) target.focus();
    }
  } finally {
    submit.disabled = false;
  }
});

$("room-cancel").addEventListener("click", () => {
  fillRoomForm(null);
  $("rooms-title").focus();
});

$("rooms-admin").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const slug = button.closest("[data-slug]").dataset.slug;
  const room = state.rooms.find((r) => r.slug === slug);
  if (!room) return;
  const action = button.dataset.action;
  if (action === "edit") {
    fillRoomForm(room);
    $("room-form-title").focus();
    return;
  }
  if (action === "archive" && !window.confirm(t("rooms.archiveConfirm", { title: room.title }))) return;
  try {
    await api("POST", `/api/admin/rooms/${encodeURIComponent(slug)}/${action}`);
    done(t(action === "archive" ? "rooms.archived" : "rooms.restored"));
    if (state.editing === slug) fillRoomForm(null);
    await loadRooms();
    loadAudit();
  } catch (error) {
    failed(error);
  }
});

async function loadRooms() {
  state.rooms = await api("GET", "/api/admin/rooms");
  renderRooms();
  renderRoomPickers();
  renderAuditFilters();
}

// -- helpers and invitations -------------------------------------------------------------------------

function activeRooms() {
  return state.rooms.filter((r) => !r.archived);
}

/** Checkboxes: "every room", then each room; `chosen` is "all" or a list of slugs. */
function roomPicker(name, chosen) {
  const all = chosen === "all";
  const boxes = [h("p", { class: "check" },
    h("input", { type: "checkbox", id: `${name}-all`, name: `${name}-all`, value: "all", checked: all, "data-all": "true" }),
    h("label", { for: `${name}-all` }, t("helpers.all")))];
  for (const room of activeRooms()) {
    const id = `${name}-${room.slug}`;
    boxes.push(h("p", { class: "check" },
      h("input", {
        type: "checkbox", id, name, value: room.slug, disabled: all,
        checked: all || (Array.isArray(chosen) && chosen.includes(room.slug)),
      }),
      h("label", { for: id, lang: room.lang }, room.title)));
  }
  return boxes;
}

function pickedRooms(container) {
  const all = container.querySelector("input[data-all]");
  if (all && all.checked) return "all";
  return [...container.querySelectorAll("input[type=checkbox]:not([data-all])")].filter((b) => b.checked).map((b) => b.value);
}

function wireAllToggle(container) {
  container.addEventListener("change", (event) => {
    if (!event.target.matches("input[data-all]")) return;
    for (const box of container.querySelectorAll("input[type=checkbox]:not([data-all])")) {
      box.disabled = event.target.checked;
    }
  });
}

function renderRoomPickers() {
  const picker = $("invite-rooms");
  const kept = picker.querySelector("legend");
  const chosen = picker.querySelector("input") ? pickedRooms(picker) : [];
  replaceChildren(picker, kept, roomPicker("invite-room", chosen));
  picker.hidden = $("invite-role").value === "admin";
}

function renderAccounts() {
  if (state.accounts.length === 0) {
    replaceChildren($("accounts-admin"), h("li", { class: "staff-note" }, t("helpers.none")));
    return;
  }
  const items = state.accounts.map((account) => {
    const rooms = account.rooms === "all" ? t("helpers.all")
      : account.rooms.map((slug) => (state.rooms.find((r) => r.slug === slug) || { title: slug }).title).join(", ");
    const item = h("li", { class: "admin-item", "data-username": account.username },
      h("div", { class: "admin-item-main" },
        h("strong", { class: "admin-item-title" }, account.username), " ",
        h("span", { class: "badge" }, roleName(account.role)), " ",
        h("span", { class: `badge ${account.disabled ? "badge-closed" : ""}` },
          t(account.disabled ? "helpers.disabled" : "helpers.active")),
        h("span", { class: "admin-item-meta" },
          ` ${account.role === "helper" ? rooms + " · " : ""}`,
          account.last_login_at ? t("helpers.lastLogin", { when: when(account.last_login_at) }) : t("helpers.never"))),
      account.disabled ? null : h("div", { class: "admin-item-actions" },
        account.role === "helper"
          ? h("button", { type: "button", class: "button small", "data-action": "rooms", "aria-expanded": String(state.openRooms === account.username) }, t("helpers.rooms"))
          : null,
        h("button", { type: "button", class: "button small quiet", "data-action": "disable" }, t("helpers.disable"))));
    if (state.openRooms === account.username && !account.disabled) {
      const form = h("form", { class: "rooms-form", "data-username": account.username, novalidate: true },
        h("fieldset", { class: "rooms-picker" },
          h("legend", null, t("helpers.editRooms", { name: account.username })),
          roomPicker(`rooms-${account.username}`, account.rooms)),
        h("p", { class: "form-actions" },
          h("button", { type: "submit", class: "button small primary" }, t("form.save")),
          h("button", { type: "button", class: "button small quiet", "data-action": "close-rooms" }, t("form.cancel"))),
        h("p", { class: "field-error", role: "alert" }));
      wireAllToggle(form);
      item.appendChild(form);
    }
    return item;
  });
  replaceChildren($("accounts-admin"), items);
}

$("accounts-admin").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const username = button.closest("[data-username]").dataset.username;
  const action = button.dataset.action;
  if (action === "rooms") {
    state.openRooms = state.openRooms === username ? null : username;
    renderAccounts();
    const first = document.querySelector(`form.rooms-form[data-username="${CSS.escape(username)}"] input`);
    if (first) first.focus();
  } else if (action === "close-rooms") {
    state.openRooms = null;
    renderAccounts();
  } else if (action === "disable") {
    if (!window.confirm(t("helpers.disableConfirm", { name: username }))) return;
    try {
      await api("POST", `/api/admin/accounts/${encodeURIComponent(username)}/disable`);
      done(t("helpers.disabledDone", { name: username }));
      await loadAccounts();
      loadAudit();
    } catch (error) {
      failed(error);
    }
  }
});

$("accounts-admin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target.closest("form.rooms-form");
  if (!form) return;
  const username = form.dataset.username;
  try {
    await api("PUT", `/api/admin/accounts/${encodeURIComponent(username)}/rooms`, { rooms: pickedRooms(form) });
    state.openRooms = null;
    done(t("helpers.roomsSaved", { name: username }));
    await loadAccounts();
    loadAudit();
  } catch (error) {
    failed(error, form.querySelector(".field-error"));
  }
});

async function loadAccounts() {
  state.accounts = await api("GET", "/api/admin/accounts");
  renderAccounts();
}

wireAllToggle($("invite-rooms"));
$("invite-role").addEventListener("change", () => {
  $("invite-rooms").hidden = $("invite-role").value === "admin";
});

$("invite-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  setText($("invite-error"), "");
  const role = $("invite-role").value;
  const body = { role, hours: Number($("invite-hours").value) || 72 };
  if (role === "helper") body.rooms = pickedRooms($("invite-rooms"));
  const reason = $("invite-reason").value.trim();
  if (reason) body.reason = reason;
  try {
    const invitation = await api("POST", "/api/admin/invitations", body);
    $("invite-result").hidden = false;
    setText($("invite-result-text"), t("invite.link", { when: when(invitation.expires_at) }));
    $("invite-url").value = invitation.url;
    $("invite-url").focus();
    $("invite-url").select();
    loadInvitations();
    loadAudit();
  } catch (error) {
    failed(error, $("invite-error"));
  }
});

$("invite-copy").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText($("invite-url").value);
    done(t("invite.copied"));
  } catch {
    $("invite-url").select();
  }
});

function renderInvitations() {
  const items = state.invitations.map((inv) => {
    const rooms = inv.role === "admin" ? roleName("admin") : inv.rooms === "all" ? t("helpers.all") : inv.rooms.join(", ");
    const stateText = inv.state === "used" ? t("invite.state.used", { name: inv.used_by }) : t(`invite.state.${inv.state}`);
    return h("li", { class: "admin-item", "data-invitation": inv.id },
      h("div", { class: "admin-item-main" },
        h("span", null, `${roleName(inv.role)} · ${rooms}`), " ",
        h("span", { class: "badge" }, stateText),
        h("span", { class: "admin-item-meta" }, ` ${inv.created_by} · ${when(inv.created_at)}`)),
      inv.state === "pending"
        ? h("div", { class: "admin-item-actions" },
          h("button", { type: "button", class: "button small quiet", "data-action": "revoke" }, t("invite.revoke")))
        : null);
  });
  replaceChildren($("invitations-admin"), items);
}

$("invitations-admin").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action=revoke]");
  if (!button) return;
  const id = button.closest("[data-invitation]").dataset.invitation;
  try {
    await api("POST", `/api/admin/invitations/${encodeURIComponent(id)}/revoke`);
    await loadInvitations();
    loadAudit();
  } catch (error) {
    failed(error);
  }
});

async function loadInvitations() {
  state.invitations = await api("GET", "/api/admin/invitations");
  renderInvitations();
}

// -- helpline cards ----------------------------------------------------------------------------------------

function renderHelplines() {
  const items = state.helplines.map((card) => h("li", { class: "admin-item", "data-locale": card.locale },
    h("div", { class: "admin-item-main" },
      h("strong", { class: "admin-item-title" }, card.locale), " ",
      h("span", { lang: card.locale }, card.title), " ",
      h("span", { class: "admin-item-meta" },
        card.source === "admin" ? t("helplines.source.admin", { name: card.updated_by }) : t("helplines.source.config")),
      h("ul", { class: "helpline-summary", lang: card.locale },
        card.resources.map((line) => h("li", null, lineSummary(line))))),
    h("div", { class: "admin-item-actions" },
      h("button", { type: "button", class: "button small", "data-action": "edit" }, t("helplines.edit")),
      card.source === "admin" && card.has_default
        ? h("button", { type: "button", class: "button small quiet", "data-action": "reset" }, t("helplines.reset"))
        : null)));
  replaceChildren($("helplines-admin"), items);
}

/** "Shout · 85258 · SMS 85258 (SHOUT) · SMS seulement" */
function lineSummary(line) {
  const parts = [line.name];
  if (line.text_only !== true) parts.push(line.phone);
  if (line.sms) parts.push(t("helplines.summarySms", { sms: line.sms_body ? `${line.sms} (${line.sms_body})` : line.sms }));
  if (line.text_only === true) parts.push(t("helplines.summaryTextOnly"));
  return parts.join(" · ");
}

const LINE_MAX = { url: 300, sms: 32, sms_body: 40 };

function lineFieldset(line, index) {
  const row = (name, key, value, type = "text") => {
    const id = `helpline-line-${index}-${name}`;
    return h("p", { class: "field" }, h("label", { for: id }, t(key)),
      h("input", { id, type, "data-name": name, value: value || "", maxlength: LINE_MAX[name] || 120 }));
  };
  const textOnlyId = `helpline-line-${index}-text_only`;
  return h("fieldset", { class: "helpline-line" },
    h("legend", null, t("helplines.line", { n: index + 1 })),
    row("name", "helplines.lineName", line.name),
    row("phone", "helplines.linePhone", line.phone, "tel"),
    row("sms", "helplines.lineSms", line.sms, "tel"),
    row("sms_body", "helplines.lineSmsBody", line.sms_body),
    h("p", { class: "field check" },
      h("input", { id: textOnlyId, type: "checkbox", "data-name": "text_only", checked: line.text_only === true }),
      h("label", { for: textOnlyId }, t("helplines.lineTextOnly"))),
    row("hours", "helplines.lineHours", line.hours),
    row("url", "helplines.lineUrl", line.url, "url"),
    row("description", "helplines.lineDescription", line.description),
    h("p", null, h("button", { type: "button", class: "button small quiet", "data-action": "remove-line" }, t("helplines.removeLine"))));
}

function readLines() {
  return [...$("helpline-lines").querySelectorAll("fieldset")].map((set) => {
    const line = {};
    for (const input of set.querySelectorAll("input[data-name]")) {
      line[input.dataset.name] = input.type === "checkbox" ? input.checked : input.value.trim();
    }
    return line;
  });
}

function renderLines(lines) {
  replaceChildren($("helpline-lines"), lines.map((line, i) => lineFieldset(line, i)));
}

function openCard(locale) {
  const card = state.helplines.find((c) => c.locale === locale)
    || { locale, title: "", text: "", checked: "", resources: [{ name: "", phone: "112", hours: "", url: "", description: "", sms: "", sms_body: "", text_only: false }] };
  state.editingCard = locale;
  $("helpline-form").hidden = false;
  setText($("helpline-form-title"), locale);
  $("helpline-title").value = card.title;
  $("helpline-text").value = card.text;
  $("helpline-checked").value = card.checked || "";
  $("helpline-reason").value = "";
  setText($("helpline-error"), "");
  renderLines(card.resources);
  $("helpline-form-title").focus();
}

$("helplines-admin").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const locale = button.closest("[data-locale]").dataset.locale;
  if (button.dataset.action === "edit") {
    openCard(locale);
    return;
  }
  try {
    await api("DELETE", `/api/admin/helplines/${encodeURIComponent(locale)}`);
    done(t("helplines.resetDone", { locale }));
    await loadHelplines();
    loadAudit();
  } catch (error) {
    failed(error);
  }
});

$("helpline-add").addEventListener("submit", (event) => {
  event.preventDefault();
  const locale = $("helpline-locale").value.trim();
  if (!/^[a-z]{2}(-[A-Z]{2})?$/.test(locale)) {
    $("helpline-locale").focus();
    return;
  }
  openCard(locale);
});

$("helpline-add-line").addEventListener("click", () => {
  const lines = readLines();
  lines.push({ name: "", phone: "", hours: "", url: "", description: "", sms: "", sms_body: "", text_only: false });
  renderLines(lines);
  const sets = $("helpline-lines").querySelectorAll("fieldset");
  sets[sets.length - 1].querySelector("input").focus();
});

$("helpline-lines").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action=remove-line]");
  if (!button) return;
  const sets = [...$("helpline-lines").querySelectorAll("fieldset")];
  const index = sets.indexOf(button.closest("fieldset"));
  const lines = readLines();
  lines.splice(index, 1);
  renderLines(lines);
  $("helpline-add-line").focus();
});

$("helpline-cancel").addEventListener("click", () => {
  $("helpline-form").hidden = true;
  state.editingCard = null;
  $("helplines-title").focus();
});

$("helpline-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const locale = state.editingCard;
  const body = {
    title: $("helpline-title").value.trim(), text: $("helpline-text").value.trim(),
    checked: $("helpline-checked").value.trim(), line: readLines(),
  };
  const reason = $("helpline-reason").value.trim();
  if (reason) body.reason = reason;
  try {
    await api("PUT", `/api/admin/helplines/${encodeURIComponent(locale)}`, body);
    $("helpline-form").hidden = true;
    state.editingCard = null;
    done(t("helplines.saved", { locale }));
    await loadHelplines();
    loadAudit();
  } catch (error) {
    failed(error, $("helpline-error"));
  }
});

async function loadHelplines() {
  state.helplines = await api("GET", "/api/admin/helplines");
  renderHelplines();
}

// -- crisis patterns -----------------------------------------------------------------------------------------

function crisisOptions() {
  for (const [id, values, prefix] of [["crisis-category", CRISIS_CATEGORIES, "crisis.cat."],
    ["crisis-severity", CRISIS_SEVERITIES, "crisis.sev."]]) {
    const select = $(id);
    const chosen = select.value;
    replaceChildren(select, values.map((v) => h("option", { value: v }, t(prefix + v))));
    if (chosen) select.value = chosen;
  }
}

function renderCrisis() {
  const search = $("crisis-search").value.trim().toLowerCase();
  const shown = state.crisis.filter((p) => !search || p.phrase.toLowerCase().includes(search)
    || p.id.toLowerCase().includes(search));
  const items = shown.map((p) => h("li", { class: "admin-item", "data-id": p.id },
    h("div", { class: "admin-item-main" },
      h("strong", { class: "admin-item-title", lang: p.locale }, p.phrase), " ",
      h("span", { class: "admin-item-meta" },
        p.kind && p.kind !== "pattern" ? `${t("crisis.kind." + p.kind)} · ` : "",
        `${t("crisis.cat." + p.category)} · ${t("crisis.sev." + p.severity)} · `,
        p.source === "admin" ? t("crisis.source.admin", { name: p.created_by }) : t("crisis.source.shipped"),
        p.enabled ? "" : ` · ${t("crisis.disabledBy", { name: p.disabled_by || "" })}`), " ",
      h("code", null, p.id)),
    h("div", { class: "admin-item-actions" },
      h("button", { type: "button", class: "button small", "data-action": p.enabled ? "disable" : "enable" },
        t(p.enabled ? "crisis.disable" : "crisis.enable")),
      p.source === "admin"
        ? h("button", { type: "button", class: "button small quiet", "data-action": "remove" }, t("crisis.remove"))
        : null)));
  replaceChildren($("crisis-patterns"), items);
}

async function loadCrisis() {
  const locale = $("crisis-locale").value || "fr";
  state.crisis = await api("GET", `/api/admin/crisis/patterns?locale=${encodeURIComponent(locale)}`);
  renderCrisis();
}

$("crisis-locale").addEventListener("change", () => loadCrisis().catch((error) => failed(error)));
$("crisis-search").addEventListener("input", renderCrisis);
$("crisis-filter").addEventListener("submit", (event) => event.preventDefault());

$("crisis-patterns").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const id = button.closest("[data-id]").dataset.id;
  const action = button.dataset.action;
  try {
    const path = `/api/admin/crisis/patterns/${encodeURIComponent(id)}`;
    if (action === "remove") await api("DELETE", path);
    else await api("POST", `${path}/${action}`);
    done(t(`crisis.${action}Done`, { id }));
    await loadCrisis();
    loadAudit();
  } catch (error) {
    failed(error);
  }
});

$("crisis-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {
    locale: $("crisis-locale").value || "fr", phrase: $("crisis-phrase").value.trim(),
    category: $("crisis-category").value, severity: $("crisis-severity").value,
  };
  const reason = $("crisis-reason").value.trim();
  if (reason) body.reason = reason;
  setText($("crisis-error"), "");
  try {
    const added = await api("POST", "/api/admin/crisis/patterns", body);
    $("crisis-phrase").value = "";
    $("crisis-reason").value = "";
    done(t("crisis.added", { id: added.id }));
    await loadCrisis();
    loadAudit();
  } catch (error) {
    failed(error, $("crisis-error"));
  }
});

$("crisis-try").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("crisis-try-text").value;
  if (!text.trim()) {
    $("crisis-try-text").focus();
    return;
  }
  try {
    const result = await api("POST", "/api/admin/crisis/check", { text, lang: $("crisis-try-lang").value });
    setText($("crisis-try-result"), result.flagged
      ? t("crisis.flagged", {
        severity: t("crisis.sev." + result.severity),
        categories: result.categories.map((c) => t("crisis.cat." + c)).join(", "),
        matches: result.matches.join(", "),
      })
      : t(result.review ? "crisis.review" : "crisis.notFlagged"));
  } catch (error) {
    failed(error, $("crisis-try-result"));
  }
});

// -- audit log -------------------------------------------------------------------------------------------------

function renderAuditFilters() {
  const roomSelect = $("audit-room");
  const chosen = roomSelect.value;
  replaceChildren(roomSelect, h("option", { value: "" }, t("audit.any")),
    state.rooms.map((r) => h("option", { value: r.slug }, `${r.title} (${r.slug})`)));
  roomSelect.value = chosen;
  const actionSelect = $("audit-action");
  const action = actionSelect.value;
  replaceChildren(actionSelect, h("option", { value: "" }, t("audit.any")), ACTIONS.map((a) => h("option", { value: a }, a)));
  actionSelect.value = action;
}

function renderAudit() {
  const rows = state.audit.map((entry) => h("tr", { "data-id": entry.id },
    h("td", null, h("time", { datetime: entry.at }, when(entry.at))),
    h("td", null, `${entry.actor} (${roleName(entry.actor_role)})`),
    h("td", null, h("code", null, entry.action)),
    h("td", null, entry.room && entry.target !== entry.room ? `${entry.target} · ${entry.room}` : entry.target),
    h("td", null, entry.reason || "")));
  replaceChildren($("audit-rows"), rows);
  $("audit-none").hidden = state.audit.length > 0;
  $("audit-more").hidden = !state.auditMore;
}

async function loadAudit(more = false) {
  const query = new URLSearchParams({ limit: "50" });
  for (const [key, id] of [["room", "audit-room"], ["actor", "audit-actor"], ["action", "audit-action"]]) {
    const value = $(id).value.trim();
    if (value) query.set(key, value);
  }
  if (more && state.audit.length) query.set("before", String(state.audit[state.audit.length - 1].id));
  try {
    const entries = await api("GET", `/api/admin/audit?${query}`);
    state.audit = more ? state.audit.concat(entries) : entries;
    state.auditMore = entries.length === 50;
    renderAudit();
  } catch (error) {
    failed(error);
  }
}

$("audit-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  loadAudit();
});
$("audit-more").addEventListener("click", () => loadAudit(true));

// -- start ---------------------------------------------------------------------------------------------------------

function renderAll() {
  renderRooms();
  renderRoomFormTitle();
  renderRoomPickers();
  renderAccounts();
  renderInvitations();
  renderHelplines();
  crisisOptions();
  renderCrisis();
  renderAuditFilters();
  renderAudit();
}

async function start() {
  initStaffPage("admin.docTitle");
  replaceChildren(field("theme"), THEMES.map((theme) => h("option", { value: theme }, theme)));
  crisisOptions();
  onLangChange(renderAll);
  const me = await whoAmI();
  if (!me) {
    location.assign("/login?next=/admin");
    return;
  }
  try {
    await loadRooms();
    await Promise.all([loadAccounts(), loadInvitations(), loadHelplines(), loadCrisis(), loadAudit()]);
  } catch (error) {
    failed(error);
  }
  document.body.dataset.ready = "true";
}

start();
