// Deployment detail, organised around the machines: counts and progress first, then the machines
// (failures first, sortable, status filter with counts, run, exit code, duration) beside the log
// panel (the whole deployment, or one machine with its runs separated and the reason it failed),
// then the facts and the install hand-over (collapsed once machines have enrolled; a new master
// token can be issued there). Polls while open; rows are patched in place.
import vocabulary from "../generated/vocabulary.json";
import { api } from "../core/api.js";
import { h, setText, toggleClass } from "../core/dom.js";
import { bindText, bindTime, formatNumber, onLanguageChange, refreshRelativeTimes, t } from "../core/i18n.js";
import { createPoller } from "../core/poller.js";
import { can } from "../core/roles.js";
import { forgetOneLiners, oneLinersFor, rememberOneLiners } from "../core/store.js";
import { durationText, hasCoordinates, locationText } from "../core/format.js";
import { copyButton } from "../ui/copy.js";
import { confirmDialog } from "../ui/dialog.js";
import { errorText } from "../ui/errors.js";
import { logList } from "../ui/logs.js";
import { card, emptyRow, errorBox, liveIndicator, loading, pageHeader } from "../ui/page.js";
import { progressBar } from "../ui/progress.js";
import { statusBadge, updateStatusBadge } from "../ui/status.js";
import { windowedRows } from "../ui/windowedRows.js";
import { toast } from "../ui/toast.js";

const TARGET_COLUMNS = ["hostname", "status", "runs", "exitCode", "duration", "location", "lastSeen", "actions"];
const SORTABLE = new Set(["hostname", "status", "runs", "exitCode", "duration", "location", "lastSeen"]);
const CANCELLABLE = new Set(["enrolled", "running"]);
const LARGE = 500;
const COUNT_TILES = ["enrolled", "running", "waiting", "completed", "failed", "cancelled", "expired"];
const FILTER_STATUSES = vocabulary.targetStatuses;
const LOG_LEVELS = ["info", "success", "warning", "error"];
// Failures first: what needs a look at 2 a.m. is at the top of the table.
const STATUS_RANK = { failed: 0, timed_out: 1, lost: 2, cancelled: 3, running: 4, waiting: 5, enrolled: 6, expired: 7, completed: 8 };
const LIVE_DEPLOYMENT = new Set(["active", "completed", "completed_with_failures"]);
// A paused deployment may still be cancelled (and its machines one by one).
const STOPPABLE = new Set([...LIVE_DEPLOYMENT, "paused"]);
const THRESHOLD_PAUSER = "error threshold"; // paused_by of a deployment its error threshold paused

function seconds(tg) {
  if (!tg.started_at) return -1;
  const end = tg.completed_at ? Date.parse(tg.completed_at) : Date.now();
  return (end - Date.parse(tg.started_at)) / 1000;
}

const SORT_VALUE = {
  hostname: (tg) => (tg.hostname || "").toLowerCase(),
  status: (tg) => STATUS_RANK[tg.status] ?? 9,
  runs: (tg) => tg.run_count || 0,
  exitCode: (tg) => (tg.exit_code === null || tg.exit_code === undefined ? -Infinity : tg.exit_code),
  duration: seconds,
  location: (tg) => locationText(tg.geo).toLowerCase(),
  lastSeen: (tg) => tg.last_seen_at || "",
};

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
  const live = liveIndicator({ retry: () => poller.now() });
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
  const pauseAlert = h("div", { class: "pause-alert", role: "status", hidden: true, "data-testid": "paused-banner" });
  const rolloutRow = h("div", { class: "rollout-row muted", "data-testid": "rollout" });
  const actionErrors = errorBox();

  const facts = h("dl", { class: "facts facts--grid", "data-testid": "deployment-facts" });
  const tiles = {};
  const tileRow = h(
    "div",
    { class: "tiles" },
    COUNT_TILES.map((k) => {
      tiles[k] = h("strong", { class: "tile-value", text: "—", "data-testid": `count-${k}` });
      return h("div", { class: `tile glass tile--${k}` }, h("span", { class: "tile-label", t: `status.target.${k}` }), tiles[k]);
    }),
  );
  const bar = progressBar();

  const search = h("input", { type: "search", class: "input input--small", tAttr: { placeholder: "deployments.searchTargets", "aria-label": "deployments.searchTargets" } });
  const statusFilter = h(
    "select",
    { class: "input input--small", tAttr: { "aria-label": "deployments.filterStatus" } },
    ["all", ...FILTER_STATUSES].map((s) => h("option", { value: s, t: s === "all" ? "common.all" : `status.target.${s}` })),
  );
  statusFilter.dataset.testid = "status-filter";
  let sortKey = "status"; // failures first
  let sortDir = 1;
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
    h("thead", {}, h("tr", { "aria-rowindex": "1" }, TARGET_COLUMNS.map(headerCell))),
    rows.tbodies,
  );
  tableWrap.append(table);

  function headerCell(c) {
    const cls = c === "runs" || c === "exitCode" ? "num" : null;
    if (!SORTABLE.has(c)) return h("th", { scope: "col", class: cls, t: `deployments.targetColumns.${c}` });
    const btn = h("button", { type: "button", class: "sort-btn", "data-sort": c, "data-testid": `sort-${c}`, t: `deployments.targetColumns.${c}` });
    btn.addEventListener("click", () => {
      sortDir = sortKey === c ? -sortDir : 1;
      sortKey = c;
      renderTargets();
    });
    return h("th", { scope: "col", class: cls, "aria-sort": c === sortKey ? "ascending" : "none" }, btn);
  }

  function markSort() {
    for (const th of table.tHead.rows[0].cells) {
      const btn = th.querySelector("button[data-sort]");
      if (!btn) continue;
      const state = btn.dataset.sort === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none";
      if (th.getAttribute("aria-sort") !== state) th.setAttribute("aria-sort", state);
    }
  }

  function sortedTargets(list) {
    const value = SORT_VALUE[sortKey] || SORT_VALUE.status;
    return list.slice().sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x < y) return -sortDir;
      if (x > y) return sortDir;
      return (a.hostname || "").localeCompare(b.hostname || "");
    });
  }

  const logTitle = h("h2", { t: "deployments.logsAll" });
  const logAllBtn = h("button", { type: "button", class: "btn btn--small", t: "deployments.showAllLogs", hidden: true, "data-testid": "logs-all" });
  const levelFilter = h(
    "select",
    { class: "input input--small", "data-testid": "log-level", tAttr: { "aria-label": "deployments.logLevel" } },
    ["", ...LOG_LEVELS].map((l) => h("option", { value: l, t: l ? `status.log.${l}` : "deployments.allLevels" })),
  );
  const stepFilter = h("input", { type: "search", class: "input input--small step-filter", "data-testid": "log-step", tAttr: { placeholder: "deployments.stepFilter", "aria-label": "deployments.stepFilter" } });
  const logs = logList({ testid: "deployment-logs" });
  const logError = errorBox();
  const logEmpty = h("p", { class: "muted", t: "deployments.noLogs" });
  const logOrder = h("p", { class: "hint", t: "deployments.logOrder" });
  // One machine: its status, exit code and the reason it failed; its runs, newest first, separated.
  const machineSummary = h("div", { class: "machine-summary", hidden: true, "data-testid": "machine-summary" });
  const runsBox = h("div", { class: "runs", hidden: true, "data-testid": "machine-runs" });
  // The selected machine's latest run output (stdout / stderr as captured by the wrapper): a live
  // tail (the last OUTPUT_TAIL characters, polled with the page), the cut marked, and a download.
  const outputText = h("pre", { class: "output-text mono", "data-testid": "machine-output-text", tabindex: "0" });
  const outputEmpty = h("p", { class: "muted", t: "deployments.outputUnavailable" });
  const outputCut = h("p", { class: "hint", hidden: true, "data-testid": "machine-output-truncated" });
  const outputDownload = h("button", { type: "button", class: "btn btn--small", t: "deployments.outputDownload", "data-testid": "machine-output-download" });
  const outputBox = h(
    "details",
    { class: "machine-output", hidden: true, open: true, "data-testid": "machine-output" },
    h("summary", { t: "deployments.outputTitle" }),
    h("div", { class: "card-actions" }, outputDownload),
    outputCut,
    outputEmpty,
    outputText,
  );
  outputDownload.addEventListener("click", async () => {
    if (!selectedTarget) return;
    try {
      const parts = await api.textParts(`${base}/targets/${encodeURIComponent(selectedTarget)}/output/download`);
      const url = URL.createObjectURL(new Blob(parts, { type: "text/plain" }));
      const a = h("a", { href: url, download: `output-${selectedTarget}.txt` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      toast("error", errorText(err));
    }
  });
  const logsCard = h(
    "section",
    { class: "card glass logs-card", "data-testid": "logs-card" },
    h("div", { class: "card-head" }, logTitle, h("div", { class: "card-actions" }, levelFilter, stepFilter, logAllBtn)),
    machineSummary,
    logError.el,
    logEmpty,
    logs.el,
    runsBox,
    outputBox,
    logOrder,
  );
  levelFilter.addEventListener("change", () => reloadLogs());
  let stepTimer = 0;
  stepFilter.addEventListener("input", () => {
    clearTimeout(stepTimer);
    stepTimer = setTimeout(reloadLogs, 300);
  });
  function reloadLogs() {
    logs.clear();
    runsBox.replaceChildren();
    loadLogs().catch(() => {});
  }
  logAllBtn.addEventListener("click", () => selectTarget(null));

  function selectTarget(targetId) {
    selectedTarget = targetId;
    logs.clear();
    logEmpty.hidden = true;
    const target = targets.find((x) => x.id === targetId);
    if (targetId && target) bindText(logTitle, ["deployments.logsFor", { host: target.hostname || target.id }]);
    else bindText(logTitle, "deployments.logsAll");
    logAllBtn.hidden = !targetId;
    logs.el.hidden = Boolean(targetId);
    runsBox.hidden = !targetId;
    runsBox.replaceChildren();
    outputBox.hidden = !targetId;
    outputPages = [];
    outputText.replaceChildren();
    outputCut.hidden = true;
    machineSummary.hidden = !targetId;
    renderMachineSummary([]);
    renderTargets(); // marks the selected row
    loadLogs().catch(() => {}); // shown in the log card's error box
    logsCard.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function createTargetRow() {
    const logsBtn = h("button", { type: "button", class: "btn btn--small", t: "deployments.viewLogs", "data-action": "logs", "aria-pressed": "false", "data-testid": "machine-open" });
    const actionsCell = h("td", { class: "row-actions" }, logsBtn);
    if (can("operator")) actionsCell.append(h("button", { type: "button", class: "btn btn--small btn--danger", t: "deployments.cancelTarget", "data-action": "cancel", "data-testid": "cancel-target" }));
    const cell = (column, props = {}, ...children) => h("td", { ...props, tAttr: { "data-label": `deployments.targetColumns.${column}` } }, ...children);
    return h(
      "tr",
      { "data-testid": "target-row" },
      cell("hostname", { class: "host" }),
      cell("status", { "data-testid": "target-status" }, statusBadge("target", "enrolled")),
      cell("runs", { class: "num mono", "data-testid": "target-runs" }),
      cell("exitCode", { class: "num mono", "data-testid": "target-exit-code" }),
      cell("duration", { class: "mono", "data-testid": "target-duration" }),
      cell("location", { class: "location" }),
      cell("lastSeen", {}, h("time", {})),
      actionsCell,
    );
  }

  function updateTargetRow(row, tg) {
    const c = row.children;
    row.dataset.targetId = tg.id;
    row.dataset.status = tg.status;
    setText(c[0], tg.hostname || "—");
    const hostTitle = tg.machine_id ? `${tg.hostname || ""} (${tg.machine_id})` : tg.hostname || "";
    if (c[0].title !== hostTitle) c[0].title = hostTitle;
    updateStatusBadge(c[1].firstChild, "target", tg.status);
    setText(c[2], `${tg.run_count ?? 0} / ${deployment && deployment.max_runs ? deployment.max_runs : "∞"}`);
    setText(c[3], tg.exit_code === null || tg.exit_code === undefined ? "—" : tg.exit_code);
    setText(c[4], durationText(tg.started_at, tg.completed_at) || "—");
    const loc = locationText(tg.geo);
    if (loc) {
      if (c[5].dataset.i18n) delete c[5].dataset.i18n;
      setText(c[5], loc);
    } else if (c[5].dataset.i18n !== "deployments.unknownLocation") bindText(c[5], "deployments.unknownLocation");
    toggleClass(c[5], "muted", !loc);
    const where = hasCoordinates(tg.geo) ? `${loc} (${Number(tg.geo.latitude).toFixed(3)}, ${Number(tg.geo.longitude).toFixed(3)})` : loc;
    if (c[5].title !== where) c[5].title = where;
    const seen = c[6].firstChild;
    if (seen.dataset.time !== (tg.last_seen_at || "")) bindTime(seen, tg.last_seen_at, "relative");
    toggleClass(row, "is-selected", tg.id === selectedTarget);
    toggleClass(row, "is-failure", STATUS_RANK[tg.status] <= 2);
    const logsBtn = c[7].firstChild;
    const pressed = String(tg.id === selectedTarget);
    if (logsBtn.getAttribute("aria-pressed") !== pressed) logsBtn.setAttribute("aria-pressed", pressed);
    const cancel = c[7].querySelector("button[data-action=cancel]");
    if (cancel) cancel.hidden = !(CANCELLABLE.has(tg.status) && deployment && STOPPABLE.has(deployment.status));
  }

  tbody.addEventListener("click", async (event) => {
    const btn = event.target.closest("button[data-action]");
    if (!btn) return;
    const row = btn.closest("tr");
    const tg = targets.find((x) => x.id === row.__key);
    if (!tg) return;
    if (btn.dataset.action === "logs") selectTarget(selectedTarget === tg.id ? null : tg.id);
    if (btn.dataset.action === "cancel") {
      const ok = await confirmDialog({ titleKey: "deployments.cancelTargetTitle", bodyKey: "deployments.cancelTargetBody", bodyParams: { host: tg.hostname || tg.id }, confirmKey: "deployments.cancelTargetConfirm", cancelKey: "deployments.keepRunning", danger: true });
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
    const matching = !q && st === "all" ? targets : targets.filter((x) => (st === "all" || x.status === st) && (!q || `${x.hostname} ${x.machine_id} ${locationText(x.geo)}`.toLowerCase().includes(q)));
    const shown = sortedTargets(matching);
    table.setAttribute("aria-rowcount", String(shown.length + 1));
    rows.render(shown);
    markSort();
    const hasEmpty = placeholder.isConnected;
    if (!shown.length && !hasEmpty) {
      bindText(placeholder.firstChild, targets.length ? "common.noMatches" : "deployments.noTargets");
      tbody.append(placeholder);
    } else if (shown.length && hasEmpty) placeholder.remove();
    bindText(shownCount, ["deployments.targetsShown", { n: shown.length, total: targets.length }]);
    labelFilterCounts();
  }

  /** "Failed (2)": the status filter tells how many machines each choice shows. */
  function labelFilterCounts() {
    const byStatus = {};
    for (const x of targets) byStatus[x.status] = (byStatus[x.status] || 0) + 1;
    for (const option of statusFilter.options) {
      const n = option.value === "all" ? targets.length : byStatus[option.value] || 0;
      const label = option.value === "all" ? t("common.all") : t(`status.target.${option.value}`);
      const text = t("deployments.filterWithCount", { label, n });
      if (option.textContent !== text) {
        delete option.dataset.i18n;
        option.textContent = text;
      }
    }
  }
  const offLanguage = onLanguageChange(() => {
    if (built) {
      renderTargets();
      if (selectedTarget) renderMachineSummary(lastMachineLogs);
    }
  });
  search.addEventListener("input", renderTargets);
  statusFilter.addEventListener("change", renderTargets);

  function buildActions() {
    if (!can("operator")) return;
    const cancelBtn = h("button", { type: "button", class: "btn btn--danger", t: "deployments.cancelDeployment", "data-testid": "cancel-deployment" });
    const deleteBtn = h("button", { type: "button", class: "btn btn--ghost", t: "actions.delete", "data-testid": "delete-deployment" });
    cancelBtn.addEventListener("click", async () => {
      const ok = await confirmDialog({ titleKey: "deployments.cancelDeploymentTitle", bodyKey: "deployments.cancelDeploymentBody", bodyParams: { name: deployment.name }, confirmKey: "deployments.cancelDeploymentConfirm", cancelKey: "deployments.keepRunning", danger: true });
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
    const rotateBtn = h("button", { type: "button", class: "btn", t: "deployments.rotateToken", "data-testid": "rotate-token" });
    rotateBtn.addEventListener("click", () => rotateToken(rotateBtn));
    const pauseBtn = h("button", { type: "button", class: "btn", t: "deployments.pause", "data-testid": "pause-deployment", hidden: true });
    const resumeBtn = h("button", { type: "button", class: "btn btn--primary", t: "deployments.resume", "data-testid": "resume-deployment", hidden: true });
    pauseBtn.addEventListener("click", () => pauseOrResume(pauseBtn, "pause"));
    resumeBtn.addEventListener("click", () => pauseOrResume(resumeBtn, "resume"));
    actions.append(pauseBtn, resumeBtn, rotateBtn, cancelBtn, deleteBtn);
    actions._pause = pauseBtn;
    actions._resume = resumeBtn;
    actions._cancel = cancelBtn;
    actions._rotate = rotateBtn;
  }

  /** Pause (no new run starts; runs in flight finish) or resume (machines may run again). */
  async function pauseOrResume(btn, verb) {
    const ok = await confirmDialog({ titleKey: `deployments.${verb}Title`, bodyKey: `deployments.${verb}Body`, bodyParams: { name: deployment.name }, confirmKey: `deployments.${verb}`, cancelKey: "actions.cancel" });
    if (!ok) return;
    btn.disabled = true;
    actionErrors.clear();
    try {
      deployment = await api.put(`${base}/${verb}`);
      renderDeployment();
      toast("success", t(`deployments.${verb}d`, { name: deployment.name }));
      poller.now();
    } catch (err) {
      actionErrors.show(err);
    } finally {
      btn.disabled = false;
    }
  }

  /** Why the deployment is paused, who paused it and when. */
  function renderPause(d) {
    pauseAlert.hidden = d.status !== "paused";
    if (pauseAlert.hidden) return;
    const signature = JSON.stringify([d.paused_by, d.paused_at, d.error_threshold]);
    if (pauseAlert.dataset.signature === signature) return;
    pauseAlert.dataset.signature = signature;
    const when = h("time", {});
    if (d.paused_at) bindTime(when, d.paused_at);
    const byThreshold = d.paused_by === THRESHOLD_PAUSER;
    const why = h("p", { "data-testid": "paused-reason" });
    if (byThreshold) bindText(why, ["deployments.pausedByThreshold", { n: d.error_threshold ?? 0 }]);
    else bindText(why, ["deployments.pausedBy", { who: d.paused_by || "—" }]);
    pauseAlert.replaceChildren(h("strong", { t: "deployments.pausedTitle" }), when, why, h("p", { t: "deployments.pausedEffect" }));
  }

  /** The rollout's waves (max_concurrency) and error threshold, in words. */
  function renderRollout(d) {
    const c = d.counts || {};
    const failures = (c.failed || 0) + (c.timed_out || 0) + (c.lost || 0);
    const parts = [];
    if (d.max_concurrency) {
      const waves = Math.ceil((d.expected_machines || 0) / d.max_concurrency);
      parts.push(["deployments.rolloutWaves", { n: d.max_concurrency, waves, waiting: c.waiting || 0 }]);
    }
    if (d.error_threshold) parts.push(["deployments.rolloutThreshold", { n: d.error_threshold, failures }]);
    if (!parts.length) parts.push("deployments.rolloutNone");
    const signature = JSON.stringify(parts);
    if (rolloutRow.dataset.signature === signature) return;
    rolloutRow.dataset.signature = signature;
    rolloutRow.replaceChildren(
      ...parts.map((p, i) => {
        const span = h("span", { "data-testid": i === 0 && d.max_concurrency ? "rollout-waves" : null });
        bindText(span, p);
        return span;
      }),
    );
  }

  /** A new master token (the old one stops working at once), shown once with its one-liners. */
  async function rotateToken(btn) {
    const ok = await confirmDialog({ titleKey: "deployments.rotateTitle", bodyKey: "deployments.rotateBody", confirmKey: "deployments.rotateConfirm", cancelKey: "deployments.keepToken" });
    if (!ok) return;
    btn.disabled = true;
    actionErrors.clear();
    try {
      const data = await api.post(`${base}/master-token`);
      rememberOneLiners(id, data.one_liners || {});
      const fresh = oneLinersCard();
      handOver.replaceWith(fresh);
      handOver = fresh;
      handOver.open = true;
      handOver.scrollIntoView({ block: "nearest" });
      toast("success", t("deployments.rotated"));
    } catch (err) {
      actionErrors.show(err);
    } finally {
      btn.disabled = false;
    }
  }

  /** The install hand-over: open while its one-liners are fresh (creation, a new token); otherwise
   * a collapsed section with the templates and the offer of a new master token, which is what
   * makes them usable again. */
  function oneLinersCard() {
    const stash = oneLinersFor(id);
    const section = h("details", { class: "card glass one-liners-card handover", "data-testid": "one-liners" });
    const summary = h("summary", { class: "card-head" }, h("h2", { t: "deployments.oneLinersTitle" }));
    section.append(summary);
    if (stash && (stash.bash || stash.powershell)) {
      section.open = true;
      const dismiss = h("button", { type: "button", class: "btn btn--small", t: "deployments.oneLinersDone", "data-testid": "one-liners-done" });
      section.append(
        h("p", { class: "notice notice--warn", role: "note", t: "deployments.oneLinersOnce" }),
        stash.bash ? oneLinerBlock("bash", stash.bash) : null,
        stash.powershell ? oneLinerBlock("powershell", stash.powershell) : null,
        h("div", { class: "card-actions" }, dismiss),
      );
      dismiss.addEventListener("click", async () => {
        const ok = await confirmDialog({ titleKey: "deployments.oneLinersDoneTitle", bodyKey: "deployments.oneLinersDoneBody", confirmKey: "deployments.oneLinersDone", cancelKey: "deployments.keepShowing" });
        if (!ok) return;
        forgetOneLiners(id);
        const collapsed = oneLinersCard();
        section.replaceWith(collapsed);
        handOver = collapsed;
      });
      return section;
    }
    const body = h("div", {}, h("p", { class: "muted", t: "deployments.oneLinersHidden" }));
    if (can("operator")) {
      const offer = h("button", { type: "button", class: "btn btn--primary btn--small", t: "deployments.rotateToken", "data-testid": "rotate-token-handover" });
      offer.addEventListener("click", () => rotateToken(offer));
      body.append(h("p", { class: "hint", t: "deployments.rotateHint" }), offer);
    }
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
    section.append(body);
    return section;
  }
  let handOver = null;

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
    const mapLink = h("a", { href: `#/map?deployment=${id}`, class: "btn btn--ghost", t: "deployments.mapLink", "data-testid": "deployment-map-link" });
    actions.insertBefore(mapLink, live.el.nextSibling);
    handOver = oneLinersCard();
    holder.replaceWith(
      header,
      killAlert,
      pauseAlert,
      actionErrors.el,
      h("div", { class: "progress-row" }, tileRow, bar.el, rolloutRow),
      h(
        "div",
        { class: "detail-grid" },
        card("deployments.targets", tableWrap, { actions: [shownCount, search, statusFilter], testid: "targets-card" }),
        logsCard,
      ),
      h("div", { class: "detail-bottom" }, handOver, card("deployments.facts", facts, { testid: "facts-card" })),
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
    if (actions._cancel) actions._cancel.hidden = !STOPPABLE.has(d.status);
    if (actions._pause) actions._pause.hidden = !LIVE_DEPLOYMENT.has(d.status);
    if (actions._resume) actions._resume.hidden = d.status !== "paused";
    renderPause(d);
    renderRollout(d);
    if (actions._rotate) actions._rotate.hidden = !LIVE_DEPLOYMENT.has(d.status);
    if (handOver && !handOver.open && !oneLinersFor(id) && handOver.dataset.auto !== "done" && (d.counts || {}).enrolled === 0) {
      handOver.open = true; // nothing enrolled yet: the hand-over is what the page is for
      handOver.dataset.auto = "done";
    }
    const expires = d.expires_at ? h("time", {}) : null;
    if (expires) bindTime(expires, d.expires_at);
    const created = h("time", {});
    bindTime(created, d.created_at);
    const checksum = h("span", { class: "checksum-row" }, h("span", { class: "mono checksum", text: d.script_checksum || "—" }), d.script_checksum ? copyButton(d.script_checksum, "actions.copy") : null);
    // What every machine's bootstrapper checks the downloaded payload against (null: a deployment from before the pinning).
    const payloadSha = d.payload_sha256 ? h("span", { class: "checksum-row" }, h("span", { class: "mono checksum", text: d.payload_sha256 }), copyButton(d.payload_sha256, "actions.copy")) : null;
    const cancelledAt = d.cancelled_at ? h("time", {}) : null;
    if (cancelledAt) bindTime(cancelledAt, d.cancelled_at);
    const signature = JSON.stringify([d.script_id, d.script_name, d.script_version, d.script_checksum, d.payload_sha256, d.expected_machines, d.max_runs, d.expires_at, d.created_by, d.created_at, d.description, d.script_type, d.cancelled_by, d.cancelled_at, d.fail_on_error, d.max_concurrency, d.error_threshold]);
    if (facts.dataset.signature !== signature) {
      facts.dataset.signature = signature;
      facts.replaceChildren(
        ...fact("deployments.fields.script", h("a", { href: `#/scripts/${d.script_id}`, text: `${d.script_name || `#${d.script_id}`} (${d.script_type || ""})` })),
        ...fact("scripts.fields.version", d.script_version ? `v${d.script_version}` : "—", { class: "mono" }),
        ...fact("scripts.fields.checksum", checksum, { testid: "deployment-checksum" }),
        ...(payloadSha ? fact("deployments.fields.payloadSha", payloadSha, { testid: "deployment-payload-sha" }) : []),
        ...fact("deployments.fields.expected", formatNumber(d.expected_machines || 0)),
        ...fact("deployments.fields.maxRuns", d.max_runs ?? "—"),
        ...fact("deployments.fields.expires", expires, expires ? {} : { t: "deployments.permanent" }),
        ...fact("common.createdBy", d.created_by),
        ...fact("common.createdAt", created),
        ...(d.description ? fact("deployments.fields.description", d.description) : []),
        ...fact("deployments.fields.failOnError", null, { t: d.fail_on_error ? "deployments.failOnErrorYes" : "deployments.failOnErrorNo" }),
        ...fact("deployments.fields.maxConcurrency", d.max_concurrency ?? null, d.max_concurrency ? { testid: "fact-max-concurrency" } : { t: "deployments.noLimit", testid: "fact-max-concurrency" }),
        ...fact("deployments.fields.errorThreshold", d.error_threshold ?? null, d.error_threshold ? { testid: "fact-error-threshold" } : { t: "deployments.noLimit", testid: "fact-error-threshold" }),
        ...(d.cancelled_at ? fact("deployments.fields.cancelledBy", d.cancelled_by || "—") : []),
        ...(cancelledAt ? fact("deployments.fields.cancelledAt", cancelledAt) : []),
      );
    }
    const c = d.counts || {};
    setText(tiles.enrolled, `${formatNumber(c.enrolled || 0)} / ${formatNumber(d.expected_machines || 0)}`);
    for (const k of COUNT_TILES.slice(1)) setText(tiles[k], formatNumber(c[k] || 0));
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

  let lastMachineLogs = [];
  // Pages of the selected machine's output read so far: each poll reads again from the last
  // one (it may have grown) and on; the tail shows the end of them all.
  let outputPages = [];
  const OUTPUT_TAIL = 64 * 1024;
  const OUTPUT_PAGES_MAX = 50;

  async function loadOutput() {
    if (!selectedTarget) return;
    const want = selectedTarget;
    const path = `${base}/targets/${encodeURIComponent(want)}/output`;
    let keep = outputPages.slice(0, -1);
    let cursor = outputPages.length ? outputPages[outputPages.length - 1].cursor : null;
    let answer = null;
    for (let n = 0; n < OUTPUT_PAGES_MAX; n++) {
      answer = await api.get(path, { limit: 20, cursor: cursor || undefined });
      if (want !== selectedTarget) return;
      keep.push({ cursor, items: answer.items || [] });
      if (!answer.next_cursor) break;
      cursor = answer.next_cursor;
    }
    if (keep.length > OUTPUT_PAGES_MAX) keep = keep.slice(-OUTPUT_PAGES_MAX);
    outputPages = keep;
    renderOutput(answer);
  }

  function renderOutput(answer) {
    const items = outputPages.flatMap((p) => p.items);
    outputEmpty.hidden = items.length > 0;
    let budget = OUTPUT_TAIL;
    const spans = [];
    for (let i = items.length - 1; i >= 0 && budget > 0; i--) {
      const text = items[i].text.length > budget ? items[i].text.slice(-budget) : items[i].text;
      budget -= text.length;
      spans.push(h("span", { class: `output-${items[i].stream}` }, text));
    }
    const atEnd = outputText.scrollTop + outputText.clientHeight >= outputText.scrollHeight - 4;
    outputText.replaceChildren(...spans.reverse());
    if (atEnd) outputText.scrollTop = outputText.scrollHeight;
    outputCut.hidden = !(answer && answer.truncated);
    if (answer && answer.truncated) bindText(outputCut, ["deployments.outputTruncated", { dropped: formatNumber(answer.dropped_bytes), total: formatNumber(answer.total_bytes) }]);
  }

  async function loadLogs() {
    const path = selectedTarget ? `${base}/targets/${encodeURIComponent(selectedTarget)}/logs` : `${base}/logs`;
    const want = selectedTarget;
    const query = { limit: 100, level: levelFilter.value || undefined, step: stepFilter.value.trim() || undefined };
    try {
      const page = await api.get(path, query);
      if (want !== selectedTarget) return;
      logError.clear();
      const items = page.items || [];
      logEmpty.hidden = items.length > 0;
      if (selectedTarget) {
        lastMachineLogs = items;
        renderRuns(items);
        renderMachineSummary(items);
        loadOutput().catch((err) => logError.show(err));
      } else logs.update(items);
    } catch (err) {
      logError.show(err);
      throw err;
    }
  }

  /** One list per run, newest run first: a re-run never mixes with the run before it. */
  function renderRuns(items) {
    const byRun = new Map();
    for (const entry of items) {
      const run = entry.run ?? 0;
      if (!byRun.has(run)) byRun.set(run, []);
      byRun.get(run).push(entry);
    }
    const runs = [...byRun.keys()].sort((a, b) => b - a);
    const existing = new Map([...runsBox.children].map((el) => [Number(el.dataset.run), el]));
    const ordered = runs.map((run) => {
      let section = existing.get(run);
      if (!section) {
        const list = logList({ testid: "run-logs", showHost: false });
        section = h("section", { class: "run", "data-run": String(run), "data-testid": "machine-run" }, h("h3", { class: "run-title", t: run ? ["deployments.runTitle", { n: run }] : "deployments.beforeRun" }), list.el);
        section._list = list;
      }
      section._list.update(byRun.get(run));
      return section;
    });
    runsBox.replaceChildren(...ordered);
  }

  /** Status, exit code, duration and the reason from the log (its last error of the latest run). */
  function renderMachineSummary(items) {
    const tg = targets.find((x) => x.id === selectedTarget);
    if (!tg) {
      machineSummary.replaceChildren();
      return;
    }
    const latestRun = Math.max(0, ...items.map((e) => e.run ?? 0));
    const ofRun = items.filter((e) => (e.run ?? 0) === latestRun);
    // The script's own last error says why; the wrapper's final entry ("failed with exit code 2") is the fallback.
    const final = ofRun.find((e) => e.status === "error" && e.step !== "complete") || ofRun.find((e) => e.status === "error");
    const failed = STATUS_RANK[tg.status] <= 2;
    const exit = tg.exit_code === null || tg.exit_code === undefined ? "—" : String(tg.exit_code);
    machineSummary.replaceChildren(
      h(
        "dl",
        { class: "facts facts--inline" },
        h("dt", { t: "deployments.targetColumns.status" }),
        h("dd", {}, statusBadge("target", tg.status)),
        h("dt", { t: "deployments.targetColumns.exitCode" }),
        h("dd", { class: "mono", "data-testid": "machine-exit-code", text: exit }),
        h("dt", { t: "deployments.targetColumns.runs" }),
        h("dd", { class: "mono", text: String(tg.run_count ?? 0) }),
        h("dt", { t: "deployments.targetColumns.duration" }),
        h("dd", { class: "mono", text: durationText(tg.started_at, tg.completed_at) || "—" }),
      ),
      failed && final ? h("p", { class: "machine-reason", role: "note", "data-testid": "machine-reason" }, h("strong", { t: "deployments.reason" }), " ", h("span", { text: final.message })) : null,
    );
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
      if (selectedTarget) renderMachineSummary(lastMachineLogs);
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
      offLanguage && offLanguage();
      poller.stop();
    },
  };
}
