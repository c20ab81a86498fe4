// The team's log-in page: POST /api/login, then on to where the person was going.

import { setText, local } from "./dom.js";
import { t } from "./i18n.js";
import { api, ApiError, errorText, initStaffPage, nextPath, whoAmI, STAFF_HINT } from "./staff.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const submit = document.getElementById("login-submit");
const username = document.getElementById("username");
const password = document.getElementById("password");

function home(role) {
  return nextPath(role === "admin" ? "/admin" : "/staff");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  setText(error, "");
  if (!username.value.trim() || !password.value) {
    (username.value.trim() ? password : username).focus();
    setText(error, t("login.bad"));
    return;
  }
  submit.disabled = true;
  setText(submit, t("login.busy"));
  try {
    const me = await api("POST", "/api/login", { username: username.value.trim(), password: password.value });
    local.set(STAFF_HINT, "1");
    location.assign(home(me.role));
    return;
  } catch (problem) {
    if (problem instanceof ApiError && problem.status === 401) {
      setText(error, t("login.bad"));
    } else if (problem instanceof ApiError && problem.status === 429) {
      setText(error, t("login.limited", { min: Math.max(1, Math.ceil((problem.body.retry_after_s || 60) / 60)) }));
    } else {
      setText(error, problem instanceof ApiError ? errorText(problem) : t("err.disconnected"));
    }
    password.value = "";
    password.focus();
  } finally {
    submit.disabled = false;
    setText(submit, t("login.submit"));
  }
});

initStaffPage("login.docTitle");
whoAmI().then((me) => {
  if (!me) return;
  const note = document.getElementById("already");
  note.hidden = false;
  note.replaceChildren();
  note.append(t("login.already", { name: me.username }), " ");
  const link = document.createElement("a");
  link.href = home(me.role);
  link.textContent = me.role === "admin" ? t("staff.nav.console") : t("staff.nav.dashboard");
  note.append(link);
}).catch(() => {});
username.focus();
