// Session expiry, never silent: a banner shortly before the token ends, and a modal re-login prompt
// when it has ended or the API rejects it. Signing in again comes back to the same route, and views
// may save a draft first (the script editor keeps unsaved text).
import { beginSignIn, sessionExpiresAt } from "../core/auth.js";
import { h } from "../core/dom.js";
import { bindText } from "../core/i18n.js";

const WARN_BEFORE_MS = 2 * 60 * 1000;
let modalOpen = false;
let saveDrafts = () => {};
let timers = [];

export function setDraftSaver(fn) {
  saveDrafts = fn;
}

async function signInAgain() {
  try {
    saveDrafts();
  } catch {
    /* a draft that cannot be saved must not block signing in */
  }
  await beginSignIn(location.hash);
}

export function showSessionExpired() {
  if (modalOpen) return;
  modalOpen = true;
  const button = h("button", { type: "button", class: "btn btn--primary", t: "auth.signInAgain", "data-testid": "sign-in-again" });
  button.addEventListener("click", signInAgain);
  const dialog = h(
    "dialog",
    { class: "modal", "aria-labelledby": "expired-title", "data-testid": "session-expired" },
    h("h2", { id: "expired-title", t: "auth.expiredTitle" }),
    h("p", { t: "auth.expiredBody" }),
    h("div", { class: "modal-actions" }, button),
  );
  // The prompt stays until the user acts: Escape does not dismiss it into a broken state.
  dialog.addEventListener("cancel", (e) => e.preventDefault());
  document.body.append(dialog);
  dialog.showModal();
  button.focus();
}

/** Schedules the warning banner and the expiry prompt for the current session. */
export function watchExpiry(banner) {
  for (const id of timers) clearTimeout(id);
  timers = [];
  const expiresAt = sessionExpiresAt();
  if (!expiresAt) return;
  const now = Date.now();
  const showBanner = () => {
    banner.replaceChildren();
    const text = h("span", {});
    const btn = h("button", { type: "button", class: "btn btn--small", t: "auth.signInAgain" });
    btn.addEventListener("click", signInAgain);
    banner.append(text, btn);
    banner.hidden = false;
    const tick = () => {
      const mins = Math.max(0, Math.ceil((expiresAt - Date.now()) / 60000));
      bindText(text, ["auth.expiresSoon", { n: mins }]);
    };
    tick();
    timers.push(setInterval(tick, 15000));
  };
  if (expiresAt - now <= WARN_BEFORE_MS) showBanner();
  else timers.push(setTimeout(showBanner, expiresAt - now - WARN_BEFORE_MS));
  timers.push(setTimeout(showSessionExpired, Math.max(0, expiresAt - now)));
}
