// Live geo map: every enrolled machine (all deployments, or one with #/map?deployment=ID) as a
// marker, animated spokes to the API region's hub, tiles from settings. Updates itself while open.
// The table under the map lists the same machines (keyboard and screen-reader equivalent) and
// the ones without a location.
import { api } from "../core/api.js";
import { append, h, reconcile, setText } from "../core/dom.js";
import { bindText, bindTime, onLanguageChange, t } from "../core/i18n.js";
import { createPoller } from "../core/poller.js";
import { hasCoordinates, locationText } from "../core/format.js";
import { card, emptyRow, errorBox, liveIndicator, pageHeader } from "../ui/page.js";
import { statusBadge, updateStatusBadge } from "../ui/status.js";

const MAX_DEPLOYMENTS = 100;
const STATUS_ORDER = ["running", "failed", "enrolled", "completed", "expired"];

/** Machines with identical coordinates are spread on a small spiral so each marker stays visible. */
function spread(points) {
  const byPlace = new Map();
  for (const p of points) {
    const key = `${p.lat.toFixed(4)},${p.lng.toFixed(4)}`;
    const n = byPlace.get(key) || 0;
    byPlace.set(key, n + 1);
    if (n > 0) {
      const angle = n * 2.399963; // golden angle
      const r = 0.02 * Math.sqrt(n);
      p.lat += r * Math.sin(angle);
      p.lng += r * Math.cos(angle);
    }
  }
  return points;
}

export function mountMap(container) {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  const onlyDeployment = query.get("deployment");
  const live = liveIndicator({ retry: () => poller.now() });
  const errors = errorBox();
  const tileNotice = h("p", { class: "notice notice--warn", role: "status", hidden: true, "data-testid": "tiles-notice" });
  const mapEl = h("div", { class: "map", "data-testid": "map", tabindex: "0", tAttr: { "aria-label": "map.label" } });
  const counts = h("p", { class: "muted", "data-testid": "map-counts" });
  const legend = h(
    "ul",
    { class: "legend" },
    ["running", "completed", "failed", "enrolled", "expired"].map((s) => h("li", {}, h("span", { class: `legend-dot legend-dot--${s}`, "aria-hidden": "true" }), h("span", { t: `status.target.${s}` }))),
    h("li", {}, h("span", { class: "legend-dot legend-dot--hub", "aria-hidden": "true" }), h("span", { t: "map.hub" })),
  );
  const filterNote = onlyDeployment
    ? h("p", { class: "notice" }, h("span", { t: ["map.filtered", { id: onlyDeployment }] }), " ", h("a", { href: "#/map", t: "map.showAll" }))
    : null;
  const tbody = h("tbody", {}, emptyRow(6, "common.loading"));
  const table = h(
    "table",
    { class: "table", "data-testid": "map-machines" },
    h("thead", {}, h("tr", {}, ["hostname", "status", "location", "coordinates", "deployment", "lastSeen"].map((c) => h("th", { scope: "col", t: `map.columns.${c}` })))),
    tbody,
  );
  append(container, [
    pageHeader("nav.map", { actions: [live.el], subtitle: counts }),
    filterNote,
    errors.el,
    tileNotice,
    h("section", { class: "card glass map-card" }, mapEl, legend),
    card("map.machines", h("div", { class: "table-wrap" }, table)),
  ]);

  let liveMap = null;
  let settings = null;
  let machines = [];
  let stopped = false;
  const deploymentNames = new Map();
  const targetCache = new Map(); // deployment id -> {updated_at, targets}

  function tooltipFor(m) {
    return () =>
      h(
        "div",
        { class: "map-tip" },
        h("strong", { text: m.hostname || m.machine_id }),
        h("div", {}, statusBadge("target", m.status)),
        h("div", { text: locationText(m.geo) }),
        h("div", { class: "muted", text: deploymentNames.get(m.deployment_id) || `#${m.deployment_id}` }),
      );
  }

  function render() {
    const located = machines.filter((m) => hasCoordinates(m.geo));
    bindText(counts, ["map.counts", { n: machines.length, located: located.length, missing: machines.length - located.length }]);
    if (liveMap) {
      const points = spread(located.map((m) => ({ m, lat: Number(m.geo.latitude), lng: Number(m.geo.longitude) })));
      liveMap.setMachines(
        points.map(({ m, lat, lng }) => ({
          key: m.key,
          lat,
          lng,
          status: m.status,
          tooltipKey: `${document.documentElement.lang}|${m.hostname}|${m.status}|${locationText(m.geo)}|${m.deployment_id}`,
          tooltip: tooltipFor(m),
        })),
      );
    }
    tbody.querySelector(".empty-row")?.remove();
    reconcile(
      tbody,
      machines,
      (m) => m.key,
      () => h("tr", { "data-testid": "map-machine-row" }, h("td", {}), h("td", {}, statusBadge("target", "enrolled")), h("td", {}), h("td", { class: "mono muted" }), h("td", {}, h("a", {})), h("td", {}, h("time", {}))),
      (row, m) => {
        const c = row.children;
        setText(c[0], m.hostname || m.machine_id);
        updateStatusBadge(c[1].firstChild, "target", m.status);
        const loc = locationText(m.geo);
        if (loc) {
          delete c[2].dataset.i18n;
          setText(c[2], loc);
        } else if (c[2].dataset.i18n !== "deployments.unknownLocation") bindText(c[2], "deployments.unknownLocation");
        setText(c[3], hasCoordinates(m.geo) ? `${Number(m.geo.latitude).toFixed(2)}, ${Number(m.geo.longitude).toFixed(2)}` : "—");
        const link = c[4].firstChild;
        link.setAttribute("href", `#/deployments/${m.deployment_id}`);
        setText(link, deploymentNames.get(m.deployment_id) || `#${m.deployment_id}`);
        const seen = c[5].firstChild;
        if (seen.dataset.time !== (m.last_seen_at || "")) bindTime(seen, m.last_seen_at, "relative");
      },
    );
    if (!machines.length) tbody.append(emptyRow(6, "map.empty"));
  }

  async function loadMachines() {
    let deployments;
    if (onlyDeployment) {
      const d = await api.get(`/v1/admin/deployments/${onlyDeployment}`);
      deployments = [d];
    } else deployments = await api.listAll("/v1/admin/deployments", { limit: 100, maxItems: 1000 });
    const withMachines = deployments.filter((d) => (d.counts ? d.counts.enrolled > 0 : true)).slice(0, MAX_DEPLOYMENTS);
    for (const d of deployments) deploymentNames.set(d.id, d.name);
    const results = await Promise.all(
      withMachines.map(async (d) => {
        const cached = targetCache.get(d.id);
        if (cached && cached.updated_at === d.updated_at && d.status !== "active") return [d, cached.targets];
        const targets = await api.listAll(`/v1/admin/deployments/${d.id}/targets`, { limit: 100, maxItems: 20000 });
        targetCache.set(d.id, { updated_at: d.updated_at, targets });
        return [d, targets];
      }),
    );
    // One marker per machine: the same machine in several deployments shows its latest state.
    const byMachine = new Map();
    for (const [d, targets] of results) {
      for (const tg of targets) {
        const key = tg.machine_id || `${d.id}:${tg.id}`;
        const m = { ...tg, key, deployment_id: d.id };
        const prev = byMachine.get(key);
        if (!prev || (m.last_seen_at || "") > (prev.last_seen_at || "")) byMachine.set(key, m);
      }
    }
    machines = [...byMachine.values()].sort(
      (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || String(a.hostname).localeCompare(String(b.hostname)),
    );
  }

  const poller = createPoller(
    async () => {
      await loadMachines();
      if (!stopped) render();
    },
    { interval: 5000, onStatus: (s) => live.update(s) },
  );

  const offLang = onLanguageChange(() => {
    if (liveMap && settings) liveMap.setHub(settings.hub, hubLabel());
    render();
  });
  const hubLabel = () => t("map.hubLabel", { region: (settings && settings.hub && settings.hub.region) || "" });

  (async () => {
    try {
      settings = await api.get("/v1/admin/settings");
    } catch (err) {
      errors.show(err);
      settings = {};
    }
    if (stopped) return;
    try {
      const { createLiveMap } = await import("../ui/leafletMap.js");
      if (stopped) return;
      liveMap = createLiveMap(mapEl, {
        tiles: settings.map_tiles,
        onTileError: (url) => {
          let host = url;
          try {
            host = new URL(url.replace(/\{s\}/g, "a")).host;
          } catch {
            /* keep the template as it is */
          }
          tileNotice.hidden = false;
          bindText(tileNotice, ["map.tilesFailed", { host }]);
        },
      });
      if (settings.hub) liveMap.setHub(settings.hub, hubLabel());
    } catch (err) {
      errors.show(err);
    }
    poller.start();
  })();

  const onResize = () => liveMap && liveMap.invalidate();
  window.addEventListener("resize", onResize);

  return {
    unmount() {
      stopped = true;
      poller.stop();
      offLang();
      window.removeEventListener("resize", onResize);
      if (liveMap) liveMap.destroy();
    },
  };
}
