// The first admin's setup link (printed once by `entraide serve`): /setup#<token>.

import { setText } from "./dom.js";
import { t, onLangChange } from "./i18n.js";
import { api, initStaffPage, takeFragmentToken, wireNewAccount } from "./staff.js";

const token = takeFragmentToken();
const intro = document.getElementById("intro");
const form = document.getElementById("account-form");
let valid = false;

function render() {
  setText(intro, valid ? t("setup.intro") : t("setup.invalid"));
  intro.dataset.kind = valid ? "status" : "error";
}

initStaffPage("setup.docTitle");
onLangChange(render);

(async () => {
  try {
    if (token) {
      await api("POST", "/api/setup/check", { token });
      valid = true;
    }
  } catch {
    valid = false;
  }
  render();
  form.hidden = !valid;
  if (valid) {
    wireNewAccount(form, (fields) => api("POST", "/api/setup", { token, ...fields }), () => "/admin");
    document.getElementById("username").focus();
  }
})();
