// What every staff page shares: the JSON API client (cookie + CSRF header), who is logged
// in, the header's language switch and log-out button, and error texts.

import "./staff-i18n.js";
import { setText, local } from "./dom.js";
import { t, has, initLangSwitch, onLangChange } from "./i18n.js";

let csrf = null;

// A hint for the room pages that this browser has a team login, so that only then do they ask
// /api/me (the login cookie itself is HttpOnly). Not a credential: the server decides.
export const STAFF_HINT = "entraide.staffHint";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || String(status));
    this.status = status;
    this.code = (body && body.error) || "error";
    this.body = body || {};
  }
}

/** Call the JSON API. Writes carry the CSRF token of the login (the cookie alone is not enough). */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Who is logged in (and remember the CSRF token), or null. */
export async function whoAmI() {
  try {
    const me = await api("GET", "/api/me");
    csrf = me.csrf;
    local.set(STAFF_HINT, "1");
    return me;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      local.remove(STAFF_HINT);
      return null;
    }
    throw error;
  }
}

export function useCsrf(token) {
  csrf = token;
}

/** A bilingual sentence for an API error. */
export function errorText(error) {
  const code = error && error.code;
  if (code === "bad_field" && error.body && error.body.field) {
    const label = has(`field.${error.body.field}`) ? t(`field.${error.body.field}`) : error.body.field;
    return t("err.bad_field", { field: error.body.detail ? `${label} (${error.body.detail})` : label });
  }
  if (code && has(`err.${code}`)) return t(`err.${code}`);
  return t("err.generic");
}

export function roleName(role) {
  return has(`role.${role}`) ? t(`role.${role}`) : role;
}

/** Where to go after logging in: a local path only (never another site). */
export function nextPath(fallback) {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : fallback;
}

/** Read a one-time token from the address's fragment, then take it out of the address bar. */
export function takeFragmentToken() {
  const token = decodeURIComponent(location.hash.replace(/^#/, ""));
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

/** Header: language switch, and a log-out button when there is one. */
export function initStaffPage(titleKey) {
  initLangSwitch(document.getElementById("lang-switch"));
  const setTitle = () => { document.title = t(titleKey); };
  setTitle();
  onLangChange(setTitle);
  const logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("click", async () => {
      local.remove(STAFF_HINT);
      try {
        await api("POST", "/api/logout");
      } catch {
        /* already logged out: the same place to go */
      }
      location.assign("/login");
    });
  }
}

export function say(el, text, kind = "status") {
  el.dataset.kind = kind;
  setText(el, text);
}

/**
 * The "choose a username and a password" form of the setup link and of invitations.
 * `send({username, password})` returns the login; then the browser goes to `where(login)`.
 */
export function wireNewAccount(form, send, where) {
  const error = form.querySelector(".field-error");
  const submit = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setText(error, "");
    const username = form.elements.namedItem("username").value.trim();
    const password = form.elements.namedItem("password").value;
    const again = form.elements.namedItem("password2").value;
    if (password !== again) {
      setText(error, t("form.mismatch"));
      form.elements.namedItem("password2").focus();
      return;
    }
    if ([...password].length < 12) {
      setText(error, t("err.weak_password"));
      form.elements.namedItem("password").focus();
      return;
    }
    submit.disabled = true;
    try {
      const login = await send({ username, password });
      local.set(STAFF_HINT, "1");
      location.assign(where(login));
    } catch (problem) {
      setText(error, problem instanceof ApiError ? errorText(problem) : t("err.disconnected"));
      submit.disabled = false;
    }
  });
}
