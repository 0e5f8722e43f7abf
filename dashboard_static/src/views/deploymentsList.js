// Deployments: every deployment with its live machine counts. Updates itself while open (polling),
// patching rows in place so nothing flickers and the scroll position stays.
import vocabulary from "../generated/vocabulary.json";
import { api } from "../core/api.js";
import { h, reconcile, setText } from "../core/dom.js";
import { bindText, bindTime, formatNumber } from "../core/i18n.js";
import { createPoller } from "../core/poller.js";
import { can } from "../core/roles.js";
import { card, emptyRow, liveIndicator, pageHeader } from "../ui/page.js";
import { progressBar } from "../ui/progress.js";
import { statusBadge, updateStatusBadge } from "../ui/status.js";

const COLUMNS = ["name", "script", "status", "machines", "running", "completed", "failed", "expires", "created"];

/** A cell that names its column (the card layout on phones shows it above the value). */
const td = (column, props = {}, ...children) => h("td", { ...props, tAttr: { "data-label": `deployments.columns.${column}` } }, ...children);

function createRow() {
  const link = h("a", { class: "row-link" });
  const name = td("name", {}, link);
  const script = td("script", {}, h("span", { class: "script-name" }), " ", h("span", { class: "muted mono" }));
  const statusCell = td("status", { "data-testid": "deployment-status" }, statusBadge("deployment", "active"), h("span", { class: "kill-flag", hidden: true }));
  const bar = progressBar();
  const machines = td("machines", { class: "machines-cell" }, h("span", { class: "mono" }), bar.el);
  const num = (column) => td(column, { class: "num" });
  const expires = td("expires", {}, h("time", {}));
  const created = td("created", {}, h("time", {}));
  const row = h("tr", { "data-testid": "deployment-row" }, name, script, statusCell, machines, num("running"), num("completed"), num("failed"), expires, created);
  row._bar = bar;
  return row;
}

function updateRow(row, d) {
  const cells = row.children;
  const link = cells[0].firstChild;
  if (link.getAttribute("href") !== `#/deployments/${d.id}`) link.setAttribute("href", `#/deployments/${d.id}`);
  setText(link, d.name);
  setText(cells[1].children[0], d.script_name || `#${d.script_id}`);
  setText(cells[1].children[1], d.script_version ? `v${d.script_version}` : "");
  updateStatusBadge(cells[2].children[0], "deployment", d.status);
  const kill = cells[2].children[1];
  kill.hidden = !d.kill_reason;
  if (d.kill_reason && kill.dataset.i18n !== "deployments.killedShort") bindText(kill, "deployments.killedShort");
  const c = d.counts || {};
  setText(cells[3].children[0], `${formatNumber(c.enrolled || 0)} / ${formatNumber(d.expected_machines || 0)}`);
  row._bar.update(c, d.expected_machines);
  setText(cells[4], formatNumber(c.running || 0));
  setText(cells[5], formatNumber(c.completed || 0));
  setText(cells[6], formatNumber(c.failed || 0));
  const expiresTime = cells[7].firstChild;
  if (d.expires_at) {
    if (expiresTime.dataset.time !== d.expires_at) {
      delete expiresTime.dataset.i18n;
      bindTime(expiresTime, d.expires_at, "short");
    }
  } else if (expiresTime.dataset.i18n !== "deployments.permanent") {
    delete expiresTime.dataset.time;
    bindText(expiresTime, "deployments.permanent");
  }
  const createdTime = cells[8].firstChild;
  if (createdTime.dataset.time !== d.created_at) bindTime(createdTime, d.created_at, "short");
}

function summaryTile(key) {
  const value = h("strong", { class: "tile-value", text: "—" });
  return { el: h("div", { class: "tile glass" }, h("span", { class: "tile-label", t: key }), value), value };
}

export function mountDeployments(container) {
  const live = liveIndicator({ retry: () => poller.now() });
  const actions = [live.el];
  if (can("operator")) actions.push(h("a", { href: "#/deployments/new", class: "btn btn--primary", t: "deployments.new", "data-testid": "new-deployment" }));

  const tiles = {
    active: summaryTile("deployments.tiles.active"),
    enrolled: summaryTile("deployments.tiles.enrolled"),
    running: summaryTile("deployments.tiles.running"),
    completed: summaryTile("deployments.tiles.completed"),
    failed: summaryTile("deployments.tiles.failed"),
  };

  const statusFilter = h(
    "select",
    { class: "input input--small", tAttr: { "aria-label": "deployments.filterStatus" } },
    ["all", ...vocabulary.deploymentStatuses.filter((s) => s !== "paused")].map((s) => h("option", { value: s, t: s === "all" ? "common.all" : `status.deployment.${s}` })),
  );
  statusFilter.dataset.testid = "deployment-status-filter";
  const search = h("input", { type: "search", class: "input input--small", tAttr: { placeholder: "common.search", "aria-label": "common.search" } });
  const tbody = h("tbody", {});
  const table = h(
    "table",
    { class: "table table--cards", "data-testid": "deployments-table" },
    h("thead", {}, h("tr", {}, COLUMNS.map((c) => h("th", { scope: "col", class: ["running", "completed", "failed"].includes(c) ? "num" : null, t: `deployments.columns.${c}` })))),
    tbody,
  );
  const placeholder = emptyRow(COLUMNS.length, "common.loading");
  tbody.append(placeholder);

  let items = [];
  function render() {
    const q = search.value.trim().toLowerCase();
    const st = statusFilter.value;
    const shown = items.filter((d) => (st === "all" || d.status === st) && (!q || `${d.name} ${d.script_name || ""}`.toLowerCase().includes(q)));
    reconcile(tbody, shown, (d) => d.id, createRow, updateRow);
    placeholder.remove();
    const empty = tbody.querySelector(".empty-row");
    if (!shown.length && !empty) tbody.append(emptyRow(COLUMNS.length, items.length ? "common.noMatches" : "deployments.empty"));
    if (shown.length && empty) empty.remove();
    const sum = (k) => items.reduce((acc, d) => acc + ((d.counts || {})[k] || 0), 0);
    setText(tiles.active.value, formatNumber(items.filter((d) => d.status === "active").length));
    for (const k of ["enrolled", "running", "completed", "failed"]) setText(tiles[k].value, formatNumber(sum(k)));
  }
  statusFilter.addEventListener("change", () => {
    render();
    poller.now(); // the API filters on the read status (settled deployments included)
  });
  search.addEventListener("input", render);

  container.append(
    pageHeader("nav.deployments", { actions }),
    h("div", { class: "tiles" }, Object.values(tiles).map((x) => x.el)),
    card("deployments.all", h("div", { class: "table-wrap" }, table), { actions: [search, statusFilter], testid: "deployments-card" }),
  );

  const poller = createPoller(
    async () => {
      const status = statusFilter.value === "all" ? undefined : statusFilter.value;
      items = await api.listAll("/v1/admin/deployments", { limit: 100, maxItems: 1000, query: { status } });
      render();
    },
    { interval: 4000, onStatus: (s) => live.update(s) },
  );
  poller.start();
  return { unmount: () => poller.stop() };
}
