// The signed-in frame: sidebar navigation, top bar (user, role, language, sign-out), the session
// banner, and the <main> the router renders into.
import { signOut } from "../core/auth.js";
import { getConfig } from "../core/config.js";
import { h } from "../core/dom.js";
import { currentLanguage, LANGUAGES, onLanguageChange, setLanguage } from "../core/i18n.js";
import { can, getMe } from "../core/roles.js";
import { icon } from "./icons.js";
import { statusBadge } from "./status.js";

const NAV = [
  { hash: "#/deployments", key: "nav.deployments", icon: "deployments", match: /^#\/deployments/ },
  { hash: "#/scripts", key: "nav.scripts", icon: "scripts", match: /^#\/scripts/ },
  { hash: "#/map", key: "nav.map", icon: "map", match: /^#\/map/ },
  { hash: "#/wrapper", key: "nav.wrapper", icon: "wrapper", match: /^#\/wrapper/ },
  { hash: "#/settings", key: "nav.settings", icon: "settings", match: /^#\/settings/ },
  { hash: "#/audit", key: "nav.audit", icon: "audit", match: /^#\/audit/, role: "admin" },
];

export function languageSwitch() {
  const buttons = LANGUAGES.map((code) => {
    const btn = h("button", {
      type: "button",
      class: "lang-btn",
      lang: code,
      "data-lang": code,
      "aria-pressed": String(code === currentLanguage()),
      tAttr: { title: `language.${code}` },
      text: code.toUpperCase(),
    });
    btn.addEventListener("click", () => setLanguage(code));
    return btn;
  });
  onLanguageChange((lang) => {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  });
  return h("div", { class: "lang-switch", role: "group", tAttr: { "aria-label": "language.label" } }, buttons);
}

export function renderShell(root, { onSignOut = signOut } = {}) {
  const me = getMe();
  const config = getConfig();
  const links = NAV.filter((item) => !item.role || can(item.role)).map((item) =>
    h(
      "a",
      { href: item.hash, class: "nav-link", "data-nav": item.hash.slice(2) },
      icon(item.icon),
      h("span", { class: "nav-text", t: item.key }),
    ),
  );
  const signOutBtn = h("button", { type: "button", class: "btn btn--ghost", t: "auth.signOut", "data-testid": "sign-out" });
  signOutBtn.addEventListener("click", () => onSignOut());

  const banner = h("div", { class: "session-banner", role: "alert", hidden: true, "data-testid": "session-banner" });
  const main = h("main", { id: "main", class: "content", tabindex: "-1" });

  const shell = h(
    "div",
    { class: "app" },
    h("a", { class: "skip-link", href: "#main", t: "nav.skip" }),
    h(
      "aside",
      { class: "sidebar glass" },
      h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true", text: "⬡" }), h("span", { class: "brand-name", text: "Edgex" })),
      h("nav", { tAttr: { "aria-label": "nav.label" } }, links),
      h(
        "div",
        { class: "sidebar-foot" },
        config.local ? h("span", { class: "pill pill--warn", t: "common.localMode" }) : null,
        config.region ? h("span", { class: "pill", text: config.region }) : null,
      ),
    ),
    h(
      "div",
      { class: "main-col" },
      h(
        "header",
        { class: "topbar glass" },
        h("div", { class: "topbar-title" }, h("span", { class: "muted", t: "common.console" })),
        h(
          "div",
          { class: "topbar-user" },
          h("span", { class: "user-name", text: me.username || me.email || "", "data-testid": "user-name" }),
          statusBadge("role", me.role),
          languageSwitch(),
          signOutBtn,
        ),
      ),
      banner,
      main,
    ),
  );
  root.classList.remove("boot");
  root.replaceChildren(shell);

  // The skip link moves focus to <main> without changing the hash route.
  shell.querySelector(".skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    main.focus();
  });

  return {
    main,
    banner,
    setActive(hash) {
      for (const link of links) {
        const item = NAV.find((n) => n.hash === link.getAttribute("href"));
        if (item.match.test(hash)) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
    },
  };
}
