// Building blocks shared by the views: page header, cards, live indicator, inline error box.
import { h, setText } from "../core/dom.js";
import { bindText, onLanguageChange, t } from "../core/i18n.js";
import { errorText } from "./errors.js";

export function pageHeader(titleKey, { titleText, actions = [], subtitle = null } = {}) {
  return h(
    "header",
    { class: "page-header" },
    h(
      "div",
      { class: "page-heading" },
      h("h1", titleText ? { text: titleText, "data-testid": "page-title" } : { t: titleKey, "data-testid": "page-title" }),
      subtitle,
    ),
    h("div", { class: "page-actions" }, actions),
  );
}

export function card(titleKey, content, { actions = [], class: extra = "", testid, titleParams } = {}) {
  return h(
    "section",
    { class: ["card glass", extra], "data-testid": testid },
    titleKey
      ? h("div", { class: "card-head" }, h("h2", { t: titleParams ? [titleKey, titleParams] : titleKey }), h("div", { class: "card-actions" }, actions))
      : null,
    content,
  );
}

// Errors on screen are re-worded when the language changes (the error object is kept on the node).
onLanguageChange(() => {
  for (const el of document.querySelectorAll(".error-box")) if (el._error) setText(el, errorText(el._error));
});

/** An inline error area for a form or a panel: show(err) puts the error in words, clear() hides it. */
export function errorBox() {
  const el = h("div", { class: "error-box", role: "alert", hidden: true, "data-testid": "error-box" });
  return {
    el,
    show(err) {
      el.hidden = false;
      el._error = typeof err === "string" ? null : err;
      setText(el, typeof err === "string" ? err : errorText(err));
    },
    clear() {
      el.hidden = true;
      el._error = null;
      setText(el, "");
    },
  };
}

/** "Live" / "Connection problem — retrying: <error> · last updated 42 s ago [Retry now]" for polling
 * views: during an outage the age of what is on screen is always shown, so stale numbers never look
 * current, and "Retry now" polls at once instead of waiting for the back-off. */
export function liveIndicator({ retry = null } = {}) {
  const dot = h("span", { class: "live-dot", "aria-hidden": "true" });
  const label = h("span", { t: "live.connecting" });
  const detail = h("span", { class: "live-detail" });
  const age = h("span", { class: "live-age", "data-testid": "live-age", hidden: true });
  const retryBtn = h("button", { type: "button", class: "btn btn--small", t: "live.retryNow", hidden: true, "data-testid": "retry-now" });
  const el = h("div", { class: "live", role: "status", "data-testid": "live-indicator" }, dot, label, detail, age, retryBtn);
  let lastOk = null;
  let ticker = null;
  retryBtn.addEventListener("click", () => {
    if (retry) retry();
  });
  function showAge() {
    if (!el.isConnected && ticker) {
      clearInterval(ticker);
      ticker = null;
      return;
    }
    if (lastOk === null) bindText(age, "live.neverUpdated");
    else bindText(age, ["live.updatedAgo", { n: Math.max(0, Math.round((Date.now() - lastOk) / 1000)) }]);
  }
  return {
    el,
    update(status) {
      el.classList.toggle("live--error", !status.ok);
      el.classList.toggle("live--ok", status.ok);
      if (status.ok) {
        lastOk = status.at || Date.now();
        if (label.dataset.i18n !== "live.live") bindText(label, "live.live");
        setText(detail, "");
        age.hidden = true;
        retryBtn.hidden = true;
        if (ticker) clearInterval(ticker);
        ticker = null;
      } else {
        if (label.dataset.i18n !== "live.retrying") bindText(label, "live.retrying");
        setText(detail, errorText(status.error));
        age.hidden = false;
        retryBtn.hidden = !retry;
        showAge();
        if (!ticker) ticker = setInterval(showAge, 1000);
      }
    },
  };
}

export function emptyRow(colspan, key) {
  return h("tr", { class: "empty-row" }, h("td", { colspan: String(colspan), t: key }));
}

export function loading() {
  return h("p", { class: "muted loading", role: "status", t: "common.loading" });
}

export { t };
