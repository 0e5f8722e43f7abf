// Platform settings: re-run limits, log retention, AI model, map tiles, region hub. Admins edit;
// everyone else reads.
import { api } from "../core/api.js";
import { field, h } from "../core/dom.js";
import { bindText, t } from "../core/i18n.js";
import { can } from "../core/roles.js";
import { card, errorBox, loading, pageHeader } from "../ui/page.js";
import { toast } from "../ui/toast.js";

function num(name, { min, max, step = "1" } = {}) {
  return h("input", { class: "input", type: "number", name, min, max, step, "data-testid": `setting-${name}` });
}

export function mountSettings(container) {
  const editable = can("admin");
  const holder = h("div", { class: "view-holder" }, loading());
  const errors = errorBox();
  container.append(pageHeader("nav.settings", { subtitle: editable ? null : h("p", { class: "muted", t: "settings.readOnlyNote" }) }), errors.el, holder);
  let alive = true;

  const f = {
    maxBash: num("max_runs_bash", { min: "1", max: "1000" }),
    maxPs: num("max_runs_powershell", { min: "1", max: "1000" }),
    retention: num("log_retention_days", { min: "1", max: "3650" }),
    model: h("input", { class: "input", name: "ai_model_id", maxlength: "200", autocomplete: "off", "data-testid": "setting-ai_model_id" }),
    tilesUrl: h("input", { class: "input mono", name: "map_tiles_url", maxlength: "500", autocomplete: "off", "data-testid": "setting-tiles-url" }),
    tilesAttribution: h("input", { class: "input", name: "map_tiles_attribution", maxlength: "500", autocomplete: "off" }),
    hubRegion: h("input", { class: "input mono", name: "hub_region", maxlength: "40", autocomplete: "off" }),
    hubLat: num("hub_latitude", { min: "-90", max: "90", step: "any" }),
    hubLng: num("hub_longitude", { min: "-180", max: "180", step: "any" }),
  };
  for (const input of Object.values(f)) {
    if (!editable) input.setAttribute("readonly", "");
  }
  // The hub is where the API runs (its AWS Region): shown, not edited here.
  for (const input of [f.hubRegion, f.hubLat, f.hubLng]) input.setAttribute("readonly", "");

  function fill(s) {
    f.maxBash.value = s.max_runs?.bash ?? "";
    f.maxPs.value = s.max_runs?.powershell ?? "";
    f.retention.value = s.log_retention_days ?? "";
    f.model.value = s.ai_model_id ?? "";
    f.tilesUrl.value = s.map_tiles?.url ?? "";
    f.tilesAttribution.value = s.map_tiles?.attribution ?? "";
    f.hubRegion.value = s.hub?.region ?? "";
    f.hubLat.value = s.hub?.latitude ?? "";
    f.hubLng.value = s.hub?.longitude ?? "";
  }

  function validate() {
    const ints = [[f.maxBash, 1, 1000], [f.maxPs, 1, 1000], [f.retention, 1, 3650]];
    for (const [input, min, max] of ints) {
      const v = Number(input.value);
      if (!Number.isInteger(v) || v < min || v > max) return ["settings.validation.range", { field: t(`settings.fields.${input.name}`), min, max }];
    }
    const url = f.tilesUrl.value.trim();
    if (!/^https:\/\/[^\s]+$/.test(url) || !url.includes("{z}") || !url.includes("{x}") || !url.includes("{y}")) return ["settings.validation.tiles", {}];
    if (!/^[A-Za-z0-9._:/-]{1,200}$/.test(f.model.value.trim())) return ["settings.validation.model", {}];
    return null;
  }

  const save = editable ? h("button", { type: "submit", class: "btn btn--primary", t: "actions.save", "data-testid": "save-settings" }) : null;
  const form = h(
    "form",
    { class: "form", novalidate: true, "data-testid": "settings-form" },
    h("div", { class: "settings-grid" },
      card("settings.sections.runs", h("div", { class: "form-grid" }, field("settings.fields.max_runs_bash", f.maxBash), field("settings.fields.max_runs_powershell", f.maxPs)), { class: "card--flat" }),
      card("settings.sections.logs", field("settings.fields.log_retention_days", f.retention, "settings.hints.retention"), { class: "card--flat" }),
      card("settings.sections.ai", field("settings.fields.ai_model_id", f.model, "settings.hints.model"), { class: "card--flat" }),
      card("settings.sections.map", [field("settings.fields.map_tiles_url", f.tilesUrl, "settings.hints.tiles"), field("settings.fields.map_tiles_attribution", f.tilesAttribution)], { class: "card--flat" }),
      card("settings.sections.hub", [h("div", { class: "form-grid" }, field("settings.fields.hub_region", f.hubRegion), field("settings.fields.hub_latitude", f.hubLat), field("settings.fields.hub_longitude", f.hubLng)), h("p", { class: "hint", t: "settings.hints.hub" })], { class: "card--flat" }),
    ),
    save ? h("div", { class: "form-actions" }, save) : null,
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editable) return;
    errors.clear();
    const problem = validate();
    if (problem) {
      errors.show(t(problem[0], problem[1]));
      return;
    }
    save.disabled = true;
    bindText(save, "actions.saving");
    try {
      const body = {
        max_runs: { bash: Number(f.maxBash.value), powershell: Number(f.maxPs.value) },
        log_retention_days: Number(f.retention.value),
        ai_model_id: f.model.value.trim(),
        map_tiles: { url: f.tilesUrl.value.trim(), attribution: f.tilesAttribution.value.trim() },
      };
      const saved = await api.put("/v1/admin/settings", body);
      fill(saved && saved.max_runs ? saved : body);
      toast("success", t("settings.saved"));
    } catch (err) {
      errors.show(err);
    } finally {
      save.disabled = false;
      bindText(save, "actions.save");
    }
  });

  api
    .get("/v1/admin/settings")
    .then((s) => {
      if (!alive) return;
      fill(s);
      holder.replaceWith(form);
    })
    .catch((err) => {
      holder.remove();
      errors.show(err);
    });
  return {
    unmount() {
      alive = false;
    },
  };
}
