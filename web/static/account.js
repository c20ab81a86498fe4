// A helper's (or admin's) own page: who is logged in, which rooms, log out.

import { setText } from "./dom.js";
import { t, onLangChange } from "./i18n.js";
import { initStaffPage, roleName, whoAmI } from "./staff.js";

let me = null;

function render() {
  const who = document.getElementById("who");
  if (!me) {
    setText(who, t("err.unauthenticated"));
    return;
  }
  who.removeAttribute("data-i18n");
  setText(who, t("account.who", { name: me.username, role: roleName(me.role) }));
  const rooms = me.rooms === "all" ? t("invite.allRooms") : me.rooms.join(", ") || t("account.noRooms");
  setText(document.getElementById("my-rooms"), t("account.rooms", { rooms }));
  document.getElementById("console-link").hidden = me.role !== "admin";
}

initStaffPage("account.docTitle");
onLangChange(render);
whoAmI().then((found) => {
  me = found;
  if (!me) location.assign("/login?next=/account");
  render();
}).catch(() => render());
