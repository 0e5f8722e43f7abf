// Scripts: name, type, version, checksum, size, findings; "New script" for operators and admins.
import { api } from "../core/api.js";
import { h, reconcile, setText } from "../core/dom.js";
import { bindTime } from "../core/i18n.js";
import { can } from "../core/roles.js";
import { formatBytes, shortChecksum } from "../core/format.js";
import { card, emptyRow, errorBox, pageHeader } from "../ui/page.js";
import { statusBadge, updateStatusBadge } from "../ui/status.js";

const COLUMNS = ["name", "type", "version", "checksum", "size", "findings", "updated"];

function createRow() {
  return h(
    "tr",
    { "data-testid": "script-row" },
    h("td", {}, h("a", { class: "row-link" }), h("div", { class: "muted small" })),
    h("td", {}, statusBadge("scriptType", "bash")),
    h("td", { class: "mono" }),
    h("td", { class: "mono muted" }),
    h("td", { class: "num" }),
    h("td", {}, statusBadge("findings", "none")),
    h("td", {}, h("time", {})),
  );
}

function updateRow(row, s) {
  const c = row.children;
  const link = c[0].firstChild;
  link.setAttribute("href", `#/scripts/${s.id}`);
  setText(link, s.name);
  setText(c[0].children[1], s.description || "");
  updateStatusBadge(c[1].firstChild, "scriptType", s.type);
  setText(c[2], `v${s.version}`);
  setText(c[3], shortChecksum(s.checksum));
  c[3].title = s.checksum || "";
  setText(c[4], formatBytes(s.size));
  const n = (s.findings || []).length;
  const worst = (s.findings || []).some((f) => f.severity === "error" || f.severity === "high") ? "high" : n ? "some" : "none";
  updateStatusBadge(c[5].firstChild, "findings", worst);
  c[5].firstChild.title = String(n);
  const time = c[6].firstChild;
  if (time.dataset.time !== (s.updated_at || s.created_at)) bindTime(time, s.updated_at || s.created_at, "short");
}

export function mountScripts(container) {
  const actions = [];
  if (can("operator")) actions.push(h("a", { href: "#/scripts/new", class: "btn btn--primary", t: "scripts.new", "data-testid": "new-script" }));
  const errors = errorBox();
  const search = h("input", { type: "search", class: "input input--small", tAttr: { placeholder: "common.search", "aria-label": "common.search" } });
  const tbody = h("tbody", {}, emptyRow(COLUMNS.length, "common.loading"));
  const table = h(
    "table",
    { class: "table", "data-testid": "scripts-table" },
    h("thead", {}, h("tr", {}, COLUMNS.map((c) => h("th", { scope: "col", class: c === "size" ? "num" : null, t: `scripts.columns.${c}` })))),
    tbody,
  );
  let items = [];
  let active = true;
  function render() {
    const q = search.value.trim().toLowerCase();
    const shown = items.filter((s) => !q || `${s.name} ${s.description || ""}`.toLowerCase().includes(q));
    tbody.querySelector(".empty-row")?.remove();
    reconcile(tbody, shown, (s) => s.id, createRow, updateRow);
    if (!shown.length) tbody.append(emptyRow(COLUMNS.length, items.length ? "common.noMatches" : "scripts.empty"));
  }
  search.addEventListener("input", render);
  container.append(pageHeader("nav.scripts", { actions }), errors.el, card("scripts.all", h("div", { class: "table-wrap" }, table), { actions: [search] }));
  api
    .listAll("/v1/admin/scripts", { limit: 100, maxItems: 5000 })
    .then((list) => {
      if (!active) return;
      items = list;
      render();
    })
    .catch((err) => {
      tbody.replaceChildren();
      errors.show(err);
    });
  return {
    unmount() {
      active = false;
    },
  };
}
