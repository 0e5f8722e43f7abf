// The Leaflet part of the live map (its own chunk, loaded only by the map view): machine markers
// coloured by status, the region hub, and animated hub-and-spoke lines. Markers are vector layers,
// so they show even when the tile server cannot be reached. No HTML from the API is ever parsed:
// tooltips are DOM nodes built with textContent.
import { circleMarker, control, latLng, latLngBounds, map as createMap, polyline, tileLayer } from "leaflet/dist/leaflet-src.esm.js";

/** Keeps text and http(s) links of an attribution string; drops every other tag and attribute. */
export function safeAttribution(html) {
  const doc = new DOMParser().parseFromString(`<div>${html || ""}</div>`, "text/html");
  const out = document.createElement("div");
  const walk = (node, into) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) into.append(child.textContent);
      else if (child.nodeType === Node.ELEMENT_NODE) {
        const href = child.tagName === "A" ? child.getAttribute("href") || "" : "";
        if (/^https?:\/\//i.test(href)) {
          const a = document.createElement("a");
          a.href = href;
          a.rel = "noopener noreferrer";
          a.target = "_blank";
          walk(child, a);
          into.append(a);
        } else walk(child, into);
      }
    }
  };
  walk(doc.body.firstChild, out);
  return out.innerHTML;
}

const STATUS_CLASSES = ["enrolled", "running", "completed", "failed", "expired"];

function setStatusClass(el, prefix, status) {
  if (!el) return;
  for (const s of STATUS_CLASSES) el.classList.toggle(`${prefix}--${s}`, s === status);
}

export function createLiveMap(element, { tiles, onTileError }) {
  const map = createMap(element, {
    center: [30, 10],
    zoom: 2,
    minZoom: 2,
    worldCopyJump: true,
    zoomControl: true,
    attributionControl: false,
    keyboard: true,
  });
  const attribution = control.attribution({ prefix: false }).addTo(map);
  let tileLayerRef = null;
  let tileErrorReported = false;

  function setTiles(next) {
    if (tileLayerRef) tileLayerRef.remove();
    tileErrorReported = false;
    if (!next || !next.url) return;
    tileLayerRef = tileLayer(next.url, { subdomains: "abcd", maxZoom: 19, detectRetina: false, crossOrigin: false });
    tileLayerRef.on("tileerror", () => {
      if (!tileErrorReported) {
        tileErrorReported = true;
        onTileError(next.url);
      }
    });
    tileLayerRef.addTo(map);
    attribution.setPrefix(false);
    for (const key of Object.keys(attribution._attributions || {})) attribution.removeAttribution(key);
    if (next.attribution) attribution.addAttribution(safeAttribution(next.attribution));
  }
  setTiles(tiles);

  let hub = null;
  let hubLatLng = null;
  const machines = new Map(); // key -> {marker, spoke, status, lat, lng}
  let fitted = false;

  function setHub(h, label) {
    if (!h || h.latitude === undefined || h.longitude === undefined) return;
    hubLatLng = latLng(Number(h.latitude), Number(h.longitude));
    if (!hub) {
      hub = circleMarker(hubLatLng, { radius: 9, className: "hub-marker", color: "#a78bfa", fillColor: "#a78bfa", fillOpacity: 0.9, weight: 3 });
      hub.addTo(map);
    } else hub.setLatLng(hubLatLng);
    hub.unbindTooltip();
    hub.bindTooltip(label);
    for (const m of machines.values()) m.spoke.setLatLngs([[m.lat, m.lng], hubLatLng]);
  }

  /** items: [{key, lat, lng, status, tooltipKey, tooltip: () => Node}] — markers are added, moved or removed in place. */
  function setMachines(items) {
    const seen = new Set();
    for (const item of items) {
      seen.add(item.key);
      let m = machines.get(item.key);
      if (!m) {
        const spoke = polyline([[item.lat, item.lng], hubLatLng || [item.lat, item.lng]], { className: "spoke", interactive: false, weight: 1.5, color: "#22d3ee", opacity: 0.7 });
        spoke.addTo(map);
        const marker = circleMarker([item.lat, item.lng], { radius: 7, className: "machine-marker", color: "#0f172a", weight: 2, fillColor: "#38bdf8", fillOpacity: 1 });
        marker.addTo(map);
        m = { marker, spoke, status: null, lat: item.lat, lng: item.lng, tooltip: null };
        machines.set(item.key, m);
        const el = marker.getElement();
        if (el) el.setAttribute("data-key", item.key);
      }
      if (m.lat !== item.lat || m.lng !== item.lng) {
        m.lat = item.lat;
        m.lng = item.lng;
        m.marker.setLatLng([item.lat, item.lng]);
        m.spoke.setLatLngs([[item.lat, item.lng], hubLatLng || [item.lat, item.lng]]);
      }
      if (m.status !== item.status) {
        m.status = item.status;
        setStatusClass(m.marker.getElement(), "machine-marker", item.status);
        setStatusClass(m.spoke.getElement(), "spoke", item.status);
      }
      if (m.tooltip !== item.tooltipKey) {
        const firstTime = m.tooltip === null;
        m.tooltip = item.tooltipKey;
        if (firstTime) m.marker.bindTooltip(item.tooltip(), { direction: "top", offset: [0, -6] });
        else m.marker.setTooltipContent(item.tooltip());
      }
    }
    if (hub) hub.bringToFront();
    for (const [key, m] of machines) {
      if (!seen.has(key)) {
        m.marker.remove();
        m.spoke.remove();
        machines.delete(key);
      }
    }
    if (!fitted && items.length) {
      fitted = true;
      const bounds = latLngBounds(items.map((i) => [i.lat, i.lng]));
      if (hubLatLng) bounds.extend(hubLatLng);
      map.fitBounds(bounds.pad(0.3), { maxZoom: 5, animate: false });
    }
  }

  return {
    map,
    setTiles,
    setHub,
    setMachines,
    invalidate: () => map.invalidateSize(),
    count: () => machines.size,
    destroy() {
      // Stop animations and listeners first: removing a map mid-zoom otherwise throws later.
      map.stop();
      if (tileLayerRef) tileLayerRef.off();
      map.off();
      map.remove();
    },
  };
}
