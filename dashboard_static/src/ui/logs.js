// A live log list (newest first). New entries are inserted at the top without moving what the
// reader is looking at: when scrolled down, the scroll offset is kept relative to the old entries.
import { h, reconcile, setText } from "../core/dom.js";
import { bindTime } from "../core/i18n.js";
import { statusBadge, updateStatusBadge } from "./status.js";

function createEntry() {
  return h(
    "li",
    { class: "log", "data-testid": "log-entry" },
    h("time", { class: "log-time mono" }),
    h("span", { class: "log-host" }),
    statusBadge("log", "info"),
    h("span", { class: "log-step mono" }),
    h("span", { class: "log-msg" }),
  );
}

function updateEntry(li, log) {
  const [time, host, badge, step, msg] = li.children;
  if (time.dataset.time !== log.timestamp) bindTime(time, log.timestamp);
  setText(host, log.hostname || "");
  updateStatusBadge(badge, "log", log.status);
  setText(step, log.step || "");
  setText(msg, log.message || "");
  li.className = `log log--${log.status || "info"}`;
}

export function logList({ testid = "log-list", showHost = true } = {}) {
  const list = h("ol", { class: ["logs", showHost ? null : "logs--nohost"], "data-testid": testid, reversed: true });
  const scroller = h("div", { class: "logs-scroll", tabindex: "0" }, list);
  return {
    el: scroller,
    list,
    update(logs) {
      const keepOffset = scroller.scrollTop > 0;
      const before = scroller.scrollHeight;
      reconcile(list, logs, (l) => l.id ?? `${l.target_id}:${l.timestamp}:${l.message}`, createEntry, updateEntry);
      if (keepOffset) scroller.scrollTop += scroller.scrollHeight - before;
    },
    clear() {
      list.replaceChildren();
    },
  };
}
