// Audit trail (admins): who did what, when, with which ids; newest first, paged by cursor.
import { api } from "../core/api.js";
import { h } from "../core/dom.js";
import { bindText, bindTime, has } from "../core/i18n.js";
import { can } from "../core/roles.js";
import { card, emptyRow, errorBox, pageHeader } from "../ui/page.js";
import { statusBadge } from "../ui/status.js";

function compact(obj) {
  if (!obj || typeof obj !== "object") return "";
  return Object.entries(obj)
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`)
    .join(" ");
}

/** The action in words ("Cancelled a machine"), the handler name kept as a tooltip. */
function actionCell(action) {
  const key = `audit.actions.${action}`;
  return has(key) ? h("td", { t: key, title: action }) : h("td", { class: "mono", text: action || "" });
}

/** Links to what the entry is about: the deployment (and its machine), the script, the wrapper, the settings. */
function subjectLinks(e) {
  const ids = e.ids || {};
  const action = e.action || "";
  const links = [];
  const deploymentId = ids.deployment_id ?? (/^(deployments|target)_/.test(action) ? ids.id : null);
  const scriptId = ids.script_id ?? (/^scripts_/.test(action) ? ids.id : null);
  if (deploymentId && action !== "deployments_delete") links.push(h("a", { href: `#/deployments/${deploymentId}`, t: ["audit.deploymentLink", { id: deploymentId }] }));
  else if (deploymentId) links.push(h("span", { t: ["audit.deploymentLink", { id: deploymentId }] }));
  if (ids.tid) links.push(h("span", { class: "mono small", t: ["audit.machineLink", { id: String(ids.tid).slice(0, 8) }], title: ids.tid }));
  if (scriptId && action !== "scripts_delete") links.push(h("a", { href: `#/scripts/${scriptId}`, t: ["audit.scriptLink", { id: scriptId }] }));
  else if (scriptId) links.push(h("span", { t: ["audit.scriptLink", { id: scriptId }] }));
  if (/^wrapper_/.test(action)) links.push(h("a", { href: "#/wrapper", t: "nav.wrapper" }));
  if (/^settings_/.test(action)) links.push(h("a", { href: "#/settings", t: "nav.settings" }));
  const rest = Object.entries(ids).filter(([k]) => !["id", "tid", "deployment_id", "script_id"].includes(k));
  if (rest.length) links.push(h("span", { class: "mono small muted", text: compact(Object.fromEntries(rest)) }));
  return links.length ? links.flatMap((l, i) => (i ? [" · ", l] : [l])) : ["—"];
}

export function mountAudit(container) {
  const errors = errorBox();
  if (!can("admin")) {
    container.append(pageHeader("nav.audit"), errors.el);
    errors.el.hidden = false;
    bindText(errors.el, "errors.FORBIDDEN");
    return { unmount() {} };
  }
  const filter = h("input", { type: "search", class: "input input--small", tAttr: { placeholder: "audit.filter", "aria-label": "audit.filter" } });
  const refresh = h("button", { type: "button", class: "btn btn--small", t: "actions.refresh" });
  const more = h("button", { type: "button", class: "btn", t: "audit.loadMore", hidden: true, "data-testid": "audit-more" });
  const tbody = h("tbody", {}, emptyRow(6, "common.loading"));
  const table = h(
    "table",
    { class: "table", "data-testid": "audit-table" },
    h("thead", {}, h("tr", {}, ["timestamp", "actor", "action", "outcome", "ids", "details"].map((c) => h("th", { scope: "col", t: `audit.columns.${c}` })))),
    tbody,
  );
  container.append(pageHeader("nav.audit", { actions: [refresh] }), errors.el, card("audit.title", [h("div", { class: "table-wrap" }, table), h("div", { class: "form-actions" }, more)], { actions: [filter] }));

  let items = [];
  let cursor = null;
  let alive = true;

  function render() {
    const q = filter.value.trim().toLowerCase();
    const shown = items.filter((e) => !q || JSON.stringify(e).toLowerCase().includes(q));
    tbody.replaceChildren(
      ...(shown.length
        ? shown.map((e) => {
            const when = h("time", {});
            bindTime(when, e.timestamp);
            const details = compact(e.details);
            return h(
              "tr",
              { "data-testid": "audit-row" },
              h("td", {}, when),
              h("td", {}, h("div", { text: e.actor || "—" }), e.role ? h("div", { class: "muted small", text: e.role }) : null),
              actionCell(e.action),
              h("td", {}, statusBadge("outcome", e.outcome || "unknown")),
              h("td", { class: "audit-subject" }, subjectLinks(e)),
              h("td", { class: "small" }, details ? h("details", {}, h("summary", { t: "audit.show" }), h("pre", { class: "code-block small", text: JSON.stringify(e.details, null, 2) })) : "—"),
            );
          })
        : [emptyRow(6, items.length ? "common.noMatches" : "audit.empty")]),
    );
    more.hidden = !cursor;
  }

  async function load(reset) {
    errors.clear();
    try {
      const page = await api.get("/v1/admin/audit", { limit: 100, cursor: reset ? null : cursor });
      if (!alive) return;
      items = reset ? page.items || [] : items.concat(page.items || []);
      cursor = page.next_cursor || null;
      render();
    } catch (err) {
      errors.show(err);
      if (reset) tbody.replaceChildren();
    }
  }
  filter.addEventListener("input", render);
  refresh.addEventListener("click", () => load(true));
  more.addEventListener("click", () => load(false));
  load(true);
  return {
    unmount() {
      alive = false;
    },
  };
}
