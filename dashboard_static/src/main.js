// Entry point: configuration, sign-in (OIDC code + PKCE), the signed-in shell and the routes.
import "./styles/main.css";

import { api, setUnauthorizedHandler } from "./core/api.js";
import { AuthError, completeSignIn, hasSession, signOut } from "./core/auth.js";
import { loadConfig } from "./core/config.js";
import { applyTranslations, currentLanguage, onLanguageChange, t } from "./core/i18n.js";
import { setMe } from "./core/roles.js";
import { createRouter } from "./core/router.js";
import { showSessionExpired, setDraftSaver, watchExpiry } from "./ui/session.js";
import { renderShell } from "./ui/shell.js";
import { mountAudit } from "./views/auditView.js";
import { mountDeploymentCreate } from "./views/deploymentCreate.js";
import { mountDeploymentDetail } from "./views/deploymentDetail.js";
import { mountDeployments } from "./views/deploymentsList.js";
import { mountMap } from "./views/mapView.js";
import { mountNotFound } from "./views/notFound.js";
import { mountScriptEditor } from "./views/scriptEditor.js";
import { mountScripts } from "./views/scriptsList.js";
import { mountSettings } from "./views/settingsView.js";
import { renderFatal, renderSignIn } from "./views/signIn.js";
import { mountWrapper } from "./views/wrapperView.js";

const ROUTES = [
  { pattern: /^\/?$/, redirect: "#/deployments" },
  { pattern: /^\/deployments$/, mount: mountDeployments, titleKey: "nav.deployments" },
  { pattern: /^\/deployments\/new$/, mount: mountDeploymentCreate, titleKey: "deployments.create" },
  { pattern: /^\/deployments\/(?<id>\d+)$/, mount: mountDeploymentDetail, titleKey: "deployments.detail" },
  { pattern: /^\/scripts$/, mount: mountScripts, titleKey: "nav.scripts" },
  { pattern: /^\/scripts\/new$/, mount: mountScriptEditor, titleKey: "scripts.new" },
  { pattern: /^\/scripts\/(?<id>\d+)$/, mount: mountScriptEditor, titleKey: "scripts.edit" },
  { pattern: /^\/map$/, mount: mountMap, titleKey: "nav.map" },
  { pattern: /^\/wrapper(?:\/(?<type>bash|ps1))?$/, mount: mountWrapper, titleKey: "nav.wrapper" },
  { pattern: /^\/settings$/, mount: mountSettings, titleKey: "nav.settings" },
  { pattern: /^\/audit$/, mount: mountAudit, titleKey: "nav.audit" },
];
const NOT_FOUND = { mount: mountNotFound, titleKey: "errors.notFoundTitle" };

function setTitle(route) {
  document.title = `${t(route.titleKey)} · Edgex`;
}

async function start() {
  const root = document.getElementById("app");
  document.documentElement.lang = currentLanguage();
  applyTranslations(document);
  try {
    await loadConfig();
  } catch (err) {
    renderFatal(root, err);
    return;
  }

  try {
    await completeSignIn();
  } catch (err) {
    renderSignIn(root, { error: err instanceof AuthError ? err : new AuthError("SIGN_IN_FAILED", err.message) });
    return;
  }
  if (!hasSession()) {
    renderSignIn(root);
    return;
  }

  setUnauthorizedHandler(showSessionExpired);
  let me;
  try {
    me = await api.get("/v1/admin/me");
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") {
      document.querySelector("dialog[data-testid=session-expired]")?.remove();
      renderSignIn(root, { reasonKey: "auth.expiredBody" });
    } else renderSignIn(root, { error: err });
    return;
  }
  setMe(me);

  const shell = renderShell(root, { onSignOut: signOut });
  watchExpiry(shell.banner);
  let currentRoute = null;
  const router = createRouter(ROUTES, {
    notFound: NOT_FOUND,
    onRoute(route) {
      currentRoute = route;
      shell.setActive(location.hash);
      setTitle(route);
    },
  });
  onLanguageChange(() => currentRoute && setTitle(currentRoute));
  let leavingForSignIn = false;
  setDraftSaver(() => {
    leavingForSignIn = true;
    const view = router.current()?.view;
    if (view && view.saveDraft) view.saveDraft();
  });
  window.addEventListener("beforeunload", (event) => {
    const view = router.current()?.view;
    if (!leavingForSignIn && view && view.isDirty && view.isDirty()) event.preventDefault();
  });
  await router.start(shell.main);
}

start();
