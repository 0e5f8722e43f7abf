// Deployment detail: facts, kill reason, live counts, every target with status / runs / location /
// last seen, live logs for the whole deployment or one target, cancel (deployment or target),
// delete, and the one-liners right after creation. Polls while open; rows are patched in place.
import { api } from "../core/api.js";
import { h, setText, toggleClass } from "../core/dom.js";
import { bindText, bindTime, formatNumber, refreshRelativeTimes, t } from "../core/i18n.js";
import { createPoller } from "../core/poller.js";
import { can } from "../core/roles.js";
import { forgetOneLiners, oneLinersFor } from "../core/store.js";
import { hasCoordinates, locationText } from "../core/format.js";
import { copyButton } from "../ui/copy.js";
import { confirmDialog } from "../ui/dialog.js";
import { errorText } from "../ui/errors.js";
import { logList } from "../ui/logs.js";
import { card, emptyRow, errorBox, liveIndicator, loading, pageHeader } from "../ui/page.js";
import { progressBar } from "../ui/progress.js";
import { statusBadge, updateStatusBadge } from "../ui/status.js";
import { windowedRows } from "../ui/windowedRows.js";
import { toast } from "../ui/toast.js";

const TARGET_COLUMNS = ["hostname", "machine", "status", "runs", "location", "lastSeen", "exitCode", "actions"];
const CANCELLABLE = new Set(["enrolled", "running"]);
const LARGE = 500;

function oneLinerBlock(kind, text) {
  const code = h("code", { class: "mono one-liner-text", "data-testid": `one-liner-${kind}`, text });
  return h(
    "div",
    { class: "one-liner" },
    h("div", { class: "one-liner-head" }, h("h3", { t: `deployments.oneLiner.${kind}` }), copyButton(() => text, "actions.copy", { "data-testid": `copy-${kind}` })),
    h("pre", { class: "code-block", tabindex: "0" }, code),
  );
}

export function mountDeploymentDetail(container, { id }) {
  performance.mark("edgex:deployment-mount");
  const base = `/v1/admin/deployments/${id}`;
  const live = liveIndicator();
  const holder = h("div", { class: "view-holder" }, loading());
  container.append(holder);
  let deployment = null;
  let targets = [];
  let selectedTarget = null; // target id whose logs are shown, or null for the whole deployment
  let built = false;
  let firstRender = true;
  let stopped = false;

  // --- static structure, filled on first load ---
  const title = h("h1", { "data-testid": "page-title" });
  const headBadge = statusBadge("deployment", "active");
  const actions = h("div", { class: "page-actions" }, live.el);
  const killAlert = h("div", { class: "kill-alert", role: "alert", hidden: true, "data-testid": "kill-reason" });
  const actionErrors = errorBox();

  const facts = h("dl", { class: "facts facts--grid", "data-testid": "deployment-facts" });
  const tiles = {};
  const tileRow = h(
    "div",
    { class: "tiles" },
    ["enrolled", "running", "completed", "failed", "expired"].map((k) => {
      tiles[k] = h("strong", { class: "tile-value", text: "—" });
      return h("div", { class: `tile glass tile--${k}` }, h("span", { class: "tile-label", t: `status.target.${k}` }), tiles[k]);
    }),
  );
  const bar = progressBar();

  const search = h("input", { type: "search", class: "input input--small", tAttr: { placeholder: "deployments.searchTargets", "aria-label": "deployments.searchTargets" } });
  const statusFilter = h(
    "select",
    { class: "input input--small", tAttr: { "aria-label": "deployments.filterStatus" } },
    ["all", "enrolled", "running", "completed", "failed", "expired"].map((s) => h("option", { value: s, t: s === "all" ? "common.all" : `status.target.${s}` })),
  );
  const shownCount = h("span", { class: "muted", "data-testid": "targets-count" });
  const placeholder = emptyRow(TARGET_COLUMNS.length, "deployments.noTargets");
  const tableWrap = h("div", { class: "table-wrap table-wrap--tall", tabindex: "0", tAttr: { "aria-label": "deployments.targets" } });
  const rows = windowedRows({
    scroller: tableWrap,
    colspan: TARGET_COLUMNS.length,
    keyOf: (x) => x.id,
    create: createTargetRow,
    update: updateTargetRow,
  });
  const tbody = rows.body;
  const table = h(
    "table",
    { class: "table table--targets", "data-testid": "targets-table" },
    h("colgroup", {}, TARGET_COLUMNS.map((c) => h("col", { class: `col-${c}` }))),
    h("thead", {}, h("tr", { "aria-rowindex": "1" }, TARGET_COLUMNS.map((c) => h("th", { scope: "col", class: c === "runs" || c === "exitCode" ? "num" : null, t: `deployments.targetColumns.${c}` })))),
    rows.tbodies,
  );
  tableWrap.append(table);

  const logTitle = h("h2", { t: "deployments.logsAll" });
  const logAllBtn = h("button", { type: "button", class: "btn btn--small", t: "deployments.showAllLogs", hidden: true, "data-testid": "logs-all" });
  const logs = logList({ testid: "deployment-logs" });
  const logError = errorBox();
  const logEmpty = h("p", { class: "muted", t: "deployments.noLogs" });
  const logsCard = h(
    "section",
    { class: "card glass logs-card", "data-testid": "logs-card" },
    h("div", { class: "card-head" }, logTitle, h("div", { class: "card-actions" }, logAllBtn)),
    logError.el,
    logEmpty,
    logs.el,
  );
  logAllBtn.addEventListener("click", () => selectTarget(null));

  function selectTarget(targetId) {
    selectedTarget = targetId;
    logs.clear();
    logEmpty.hidden = true;
    const target = targets.find((x) => x.id === targetId);
    if (targetId && target) bindText(logTitle, ["deployments.logsFor", { host: target.hostname || target.id }]);
    else bindText(logTitle, "deployments.logsAll");
    logAllBtn.hidden = !targetId;
    renderTargets(); // marks the selected row
    loadLogs().catch(() => {}); // shown in the log card's error box
    logsCard.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function createTargetRow() {
    const logsBtn = h("button", { type: "button", class: "btn btn--small", t: "deployments.viewLogs", "data-action": "logs", "aria-pressed": "false" });
    const actionsCell = h("td", { class: "row-actions" }, logsBtn);
    if (can("operator")) actionsCell.append(h("button", { type: "button", class: "btn btn--small btn--danger", t: "deployments.cancelTarget", "data-action": "cancel", "data-testid": "cancel-target" }));
    return h(
      "tr",
      { "data-testid": "target-row" },
      h("td", { class: "host" }),
      h("td", { class: "mono muted machine" }),
      h("td", {}, statusBadge("target", "enrolled")),
      h("td", { class: "num mono" }),
      h("td", { class: "location" }),
      h("td", {}, h("time", {})),
      h("td", { class: "num mono" }),
      actionsCell,
    );
  }

  function updateTargetRow(row, tg) {
    const c = row.children;
    row.dataset.targetId = tg.id;
    row.dataset.status = tg.status;
    setText(c[0], tg.hostname || "—");
    if (c[0].title !== (tg.hostname || "")) c[0].title = tg.hostname || "";
    setText(c[1], tg.machine_id ? (tg.machine_id.length > 18 ? `${tg.machine_id.slice(0, 18)}…` : tg.machine_id) : "—");
    if (tg.machine_id && c[1].title !== tg.machine_id) c[1].title = tg.machine_id;
    updateStatusBadge(c[2].firstChild, "target", tg.status);
    setText(c[3], `${tg.run_count ?? 0} / ${deployment && deployment.max_runs ? deployment.max_runs : "∞"}`);
    const loc = locationText(tg.geo);
    if (loc) {
      if (c[4].dataset.i18n) delete c[4].dataset.i18n;
      setText(c[4], loc);
    } else if (c[4].dataset.i18n !== "deployments.unknownLocation") bindText(c[4], "deployments.unknownLocation");
    toggleClass(c[4], "muted", !loc);
    const where = hasCoordinates(tg.geo) ? `${loc} (${Number(tg.geo.latitude).toFixed(3)}, ${Number(tg.geo.longitude).toFixed(3)})` : loc;
    if (c[4].title !== where) c[4].title = where;
    const seen = c[5].firstChild;
    if (seen.dataset.time !== (tg.last_seen_at || "")) bindTime(seen, tg.last_seen_at, "relative");
    setText(c[6], tg.exit_code === null || tg.exit_code === undefined ? "—" : tg.exit_code);
    toggleClass(row, "is-selected", tg.id === selectedTarget);
    const logsBtn = c[7].firstChild;
    const pressed = String(tg.id === selectedTarget);
    if (logsBtn.getAttribute("aria-pressed") !== pressed) logsBtn.setAttribute("aria-pressed", pressed);
    const cancel = c[7].querySelector("button[data-action=cancel]");
    if (cancel) cancel.hidden = !(CANCELLABLE.has(tg.status) && deployment && deployment.status === "active");
  }

  tbody.addEventListener("click", async (event) => {
    const btn = event.target.closest("button[data-action]");
    if (!btn) return;
    const row = btn.closest("tr");
    const tg = targets.find((x) => x.id === row.__key);
    if (!tg) return;
    if (btn.dataset.action === "logs") selectTarget(selectedTarget === tg.id ? null : tg.id);
    if (btn.dataset.action === "cancel") {
      const ok = await confirmDialog({ titleKey: "deployments.cancelTargetTitle", bodyKey: "deployments.cancelTargetBody", bodyParams: { host: tg.hostname || tg.id }, confirmKey: "deployments.cancelTarget", danger: true });
      if (!ok) return;
      btn.disabled = true;
      try {
        await api.put(`${base}/targets/${encodeURIComponent(tg.id)}/cancel`);
        toast("success", t("deployments.targetCancelled", { host: tg.hostname || tg.id }));
        poller.now();
      } catch (err) {
        actionErrors.show(err);
        toast("error", errorText(err));
      } finally {
        btn.disabled = false;
      }
    }
  });

  function renderTargets() {
    const q = search.value.trim().toLowerCase();
    const st = statusFilter.value;
    const shown = !q && st === "all" ? targets : targets.filter((x) => (st === "all" || x.status === st) && (!q || `${x.hostname} ${x.machine_id} ${locationText(x.geo)}`.toLowerCase().includes(q)));
    table.setAttribute("aria-rowcount", String(shown.length + 1));
    rows.render(shown);
    const hasEmpty = placeholder.isConnected;
    if (!shown.length && !hasEmpty) {
      bindText(placeholder.firstChild, targets.length ? "common.noMatches" : "deployments.noTargets");
      tbody.append(placeholder);
    } else if (shown.length && hasEmpty) placeholder.remove();
    bindText(shownCount, ["deployments.targetsShown", { n: shown.length, total: targets.length }]);
  }
  search.addEventListener("input", renderTargets);
  statusFilter.addEventListener("change", renderTargets);

  function buildActions() {
    if (!can("operator")) return;
    const cancelBtn = h("button", { type: "button", class: "btn btn--danger", t: "deployments.cancelDeployment", "data-testid": "cancel-deployment" });
    const deleteBtn = h("button", { type: "button", class: "btn btn--ghost", t: "actions.delete", "data-testid": "delete-deployment" });
    cancelBtn.addEventListener("click", async () => {
      const ok = await confirmDialog({ titleKey: "deployments.cancelDeploymentTitle", bodyKey: "deployments.cancelDeploymentBody", bodyParams: { name: deployment.name }, confirmKey: "deployments.cancelDeployment", danger: true });
      if (!ok) return;
      cancelBtn.disabled = true;
      actionErrors.clear();
      try {
        await api.put(`${base}/cancel`);
        toast("success", t("deployments.cancelled", { name: deployment.name }));
        poller.now();
      } catch (err) {
        actionErrors.show(err);
      } finally {
        cancelBtn.disabled = false;
      }
    });
    deleteBtn.addEventListener("click", async () => {
      const ok = await confirmDialog({ titleKey: "deployments.deleteTitle", bodyKey: "deployments.deleteBody", bodyParams: { name: deployment.name }, confirmKey: "actions.delete", danger: true });
      if (!ok) return;
      deleteBtn.disabled = true;
      actionErrors.clear();
      try {
        await api.del(base);
        forgetOneLiners(id);
        toast("success", t("deployments.deleted", { name: deployment.name }));
        location.hash = "#/deployments";
      } catch (err) {
        actionErrors.show(err);
        deleteBtn.disabled = false;
      }
    });
    actions.append(cancelBtn, deleteBtn);
    actions._cancel = cancelBtn;
  }

  function oneLinersCard() {
    const stash = oneLinersFor(id);
    if (stash && (stash.bash || stash.powershell)) {
      const dismiss = h("button", { type: "button", class: "btn btn--small", t: "deployments.oneLinersDone" });
      const el = card(
        "deployments.oneLinersTitle",
        [
          h("p", { class: "notice notice--warn", role: "note", t: "deployments.oneLinersOnce" }),
          stash.bash ? oneLinerBlock("bash", stash.bash) : null,
          stash.powershell ? oneLinerBlock("powershell", stash.powershell) : null,
        ],
        { actions: [dismiss], testid: "one-liners", class: "one-liners-card" },
      );
      dismiss.addEventListener("click", async () => {
        const ok = await confirmDialog({ titleKey: "deployments.oneLinersDoneTitle", bodyKey: "deployments.oneLinersDoneBody", confirmKey: "deployments.oneLinersDone" });
        if (!ok) return;
        forgetOneLiners(id);
        el.remove();
      });
      return el;
    }
    const body = h("div", {}, h("p", { class: "muted", t: "deployments.oneLinersHidden" }));
    api
      .get(`${base}/installer`)
      .then((data) => {
        const lines = (data && (data.one_liners || data)) || {};
        if (typeof lines.bash !== "string" && typeof lines.powershell !== "string") return;
        body.append(h("p", { class: "hint", t: "deployments.oneLinersTemplate" }));
        if (typeof lines.bash === "string") body.append(oneLinerBlock("bash", lines.bash));
        if (typeof lines.powershell === "string") body.append(oneLinerBlock("powershell", lines.powershell));
      })
      .catch((err) => {
        if (err.status !== 404) body.append(h("p", { class: "error-box", role: "alert", text: errorText(err) }));
      });
    return card("deployments.oneLinersTitle", body, { testid: "one-liners" });
  }

  function build() {
    built = true;
    buildActions();
    const header = h(
      "header",
      { class: "page-header" },
      h(
        "div",
        { class: "page-heading" },
        h("a", { href: "#/deployments", class: "back-link", t: "deployments.back" }),
        h("div", { class: "title-row" }, title, headBadge),
      ),
      actions,
    );
    holder.replaceWith(
      header,
      killAlert,
      actionErrors.el,
      h("div", { class: "detail-top" }, card("deployments.facts", facts, { testid: "facts-card" }), oneLinersCard()),
      h("div", { class: "progress-row" }, tileRow, bar.el),
      h(
        "div",
        { class: "detail-grid" },
        card("deployments.targets", tableWrap, { actions: [shownCount, search, statusFilter], testid: "targets-card" }),
        logsCard,
      ),
    );
  }

  function fact(labelKey, value, opts = {}) {
    const dd = h("dd", { class: opts.class || null, "data-testid": opts.testid || null });
    if (value instanceof Node) dd.append(value);
    else if (opts.t) bindText(dd, opts.t);
    else dd.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
    return [h("dt", { t: labelKey }), dd];
  }

  function renderDeployment() {
    const d = deployment;
    setText(title, d.name);
    updateStatusBadge(headBadge, "deployment", d.status);
    killAlert.hidden = !d.kill_reason;
    if (d.kill_reason && killAlert.dataset.reason !== d.kill_reason) {
      killAlert.dataset.reason = d.kill_reason;
      killAlert.replaceChildren(
        h("strong", { t: "deployments.killedTitle" }),
        h("span", { class: "mono kill-code", text: d.kill_reason }),
        h("p", { t: `deployments.killReasons.${d.kill_reason === "INTEGRITY_VIOLATION" ? "INTEGRITY_VIOLATION" : "other"}` }),
      );
    }
    if (actions._cancel) actions._cancel.hidden = d.status !== "active";
    const expires = d.expires_at ? h("time", {}) : null;
    if (expires) bindTime(expires, d.expires_at);
    const created = h("time", {});
    bindTime(created, d.created_at);
    const checksum = h("span", { class: "checksum-row" }, h("span", { class: "mono checksum", text: d.script_checksum || "—" }), d.script_checksum ? copyButton(d.script_checksum, "actions.copy") : null);
    const signature = JSON.stringify([d.script_id, d.script_name, d.script_version, d.script_checksum, d.expected_machines, d.max_runs, d.expires_at, d.created_by, d.created_at, d.description, d.script_type]);
    if (facts.dataset.signature !== signature) {
      facts.dataset.signature = signature;
      facts.replaceChildren(
        ...fact("deployments.fields.script", h("a", { href: `#/scripts/${d.script_id}`, text: `${d.script_name || `#${d.script_id}`} (${d.script_type || ""})` })),
        ...fact("scripts.fields.version", d.script_version ? `v${d.script_version}` : "—", { class: "mono" }),
        ...fact("scripts.fields.checksum", checksum, { testid: "deployment-checksum" }),
        ...fact("deployments.fields.expected", formatNumber(d.expected_machines || 0)),
        ...fact("deployments.fields.maxRuns", d.max_runs ?? "—"),
        ...fact("deployments.fields.expires", expires, expires ? {} : { t: "deployments.permanent" }),
        ...fact("common.createdBy", d.created_by),
        ...fact("common.createdAt", created),
        ...(d.description ? fact("deployments.fields.description", d.description) : []),
      );
    }
    const c = d.counts || {};
    setText(tiles.enrolled, `${formatNumber(c.enrolled || 0)} / ${formatNumber(d.expected_machines || 0)}`);
    for (const k of ["running", "completed", "failed", "expired"]) setText(tiles[k], formatNumber(c[k] || 0));
    bar.update(c, d.expected_machines);
  }

  /** All targets, page after page; onFirstPage(partial) lets the first load show the first rows at
   * once (one early render only: a render per page would cost a layout and paint per page). */
  async function loadTargets(first, onFirstPage) {
    const all = [...(first.targets || [])];
    let cursor = first.next_cursor || null;
    if (cursor && onFirstPage) onFirstPage(all.slice());
    while (cursor && !stopped) {
      const page = await api.get(`${base}/targets`, { limit: 100, cursor });
      all.push(...(page.items || []));
      cursor = page.next_cursor || null;
    }
    return all;
  }

  async function loadLogs() {
    const path = selectedTarget ? `${base}/targets/${encodeURIComponent(selectedTarget)}/logs` : `${base}/logs`;
    const want = selectedTarget;
    try {
      const page = await api.get(path, { limit: 100 });
      if (want !== selectedTarget) return;
      logError.clear();
      const items = page.items || [];
      logEmpty.hidden = items.length > 0;
      logs.update(items);
    } catch (err) {
      logError.show(err);
      throw err;
    }
  }

  const poller = createPoller(
    async () => {
      const data = await api.get(base);
      if (stopped) return;
      const progressive = firstRender
        ? (partial) => {
            deployment = data;
            targets = partial;
            if (!built) build();
            renderDeployment();
            renderTargets();
          }
        : null;
      const list = await loadTargets(data, progressive);
      if (stopped) return;
      deployment = data;
      targets = list;
      if (!built) build();
      if (firstRender) performance.mark("edgex:targets-render-start");
      renderDeployment();
      renderTargets();
      refreshRelativeTimes(tbody);
      if (firstRender) {
        firstRender = false;
        performance.mark("edgex:targets-render-end");
        // Marks for make bench (time to render a large deployment): after the next paint.
        requestAnimationFrame(() =>
          setTimeout(() => {
            performance.mark("edgex:deployment-rendered");
            container.dataset.rendered = "true";
          }, 0),
        );
      }
      poller.setInterval(targets.length > LARGE ? 10000 : 3000);
      await loadLogs();
    },
    {
      interval: 3000,
      onStatus: (s) => {
        live.update(s);
        if (!s.ok && !built) {
          const box = errorBox();
          box.show(s.error);
          holder.replaceChildren(box.el);
        }
      },
    },
  );
  poller.start();

  return {
    unmount() {
      stopped = true;
      poller.stop();
    },
  };
}
