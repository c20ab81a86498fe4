// An invitation link for a new helper: /invite#<token>.

import { setText } from "./dom.js";
import { t, onLangChange } from "./i18n.js";
import { api, initStaffPage, roleName, takeFragmentToken, wireNewAccount } from "./staff.js";

const token = takeFragmentToken();
const intro = document.getElementById("intro");
const roomsLine = document.getElementById("rooms-line");
const form = document.getElementById("account-form");
let invitation = null;

function render() {
  if (!invitation) {
    setText(intro, t("invite.invalid"));
    intro.dataset.kind = "error";
    roomsLine.hidden = true;
    return;
  }
  setText(intro, t("invite.intro", { role: roleName(invitation.role) }));
  const rooms = invitation.rooms === "all" ? t("invite.allRooms") : invitation.rooms.join(", ");
  roomsLine.hidden = invitation.role === "admin";
  setText(roomsLine, t("invite.rooms", { rooms }));
}

initStaffPage("invite.docTitle");
onLangChange(render);

(async () => {
  try {
    if (token) invitation = await api("POST", "/api/invitations/check", { token });
  } catch {
    invitation = null;
  }
  render();
  form.hidden = !invitation;
  if (invitation) {
    wireNewAccount(
      form, (fields) => api("POST", "/api/invitations/accept", { token, ...fields }),
      (login) => (login.role === "admin" ? "/admin" : "/staff"),
    );
    document.getElementById("username").focus();
  }
})();
