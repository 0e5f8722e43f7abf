// Sign-in with OIDC authorization code + PKCE against the configured issuer (Cognito hosted UI in
// AWS, the local issuer under /local-idp/ in make dev). Tokens live in memory and in this tab's
// sessionStorage (never in a cookie); they are dropped on sign-out and when they expire.
import { getConfig } from "./config.js";
import { challengeFor, createVerifier, randomString } from "./pkce.js";

const SESSION_KEY = "edgex.session";
const PENDING_KEY = "edgex.pkce";
const PENDING_MAX_AGE_MS = 10 * 60 * 1000;

/** An OAuth error code as the spec shapes it (RFC 6749: printable ASCII, no quote or backslash),
 * lower-case words only here; anything else is not shown. */
function oauthErrorCode(value) {
  return typeof value === "string" && /^[a-z_]{1,64}$/.test(value) ? value : "";
}

export class AuthError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

let session = readSession();

function readSession() {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw);
    return s && s.accessToken && s.expiresAt ? s : null;
  } catch {
    return null;
  }
}

function writeSession(s) {
  session = s;
  try {
    if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch {
    /* storage unavailable: the session stays in memory for this page */
  }
}

/** exp claim of a JWT in ms, or null when the token is not a readable JWT. */
function jwtExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.exp === "number" ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

export function getAccessToken() {
  if (!session || Date.now() >= session.expiresAt) return null;
  return session.accessToken;
}

export function sessionExpiresAt() {
  return session ? session.expiresAt : null;
}

export function hasSession() {
  return getAccessToken() !== null;
}

/** Redirects to the issuer's authorize endpoint. returnTo is the hash route to come back to. */
export async function beginSignIn(returnTo = location.hash) {
  const { oidc } = getConfig();
  const verifier = createVerifier();
  const state = randomString(24);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo, createdAt: Date.now() }));
  const url = new URL(oidc.authorizeUrl, location.href);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: oidc.clientId,
    redirect_uri: oidc.redirectUri,
    scope: oidc.scopes,
    state,
    code_challenge: await challengeFor(verifier),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/**
 * Completes a sign-in when the page was opened by the issuer's redirect (?code=&state= or ?error=).
 * Returns false when there is nothing to complete, true on success; throws AuthError otherwise.
 * The query string is removed from the address bar either way.
 */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return false;
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
  } catch {
    pending = null;
  }
  sessionStorage.removeItem(PENDING_KEY);
  const returnTo = pending && pending.returnTo && pending.returnTo.startsWith("#/") ? pending.returnTo : "";
  history.replaceState(null, "", location.pathname + returnTo);

  // The state check comes first: an answer this browser did not ask for says nothing, not
  // even its error. Past it, an error is shown as fixed text with its OAuth code only (the
  // issuer's error_description is free text anyone can put in a link, so it is never shown).
  if (!pending || pending.state !== params.get("state") || Date.now() - pending.createdAt > PENDING_MAX_AGE_MS) {
    throw new AuthError("STATE_MISMATCH");
  }
  if (params.has("error")) {
    throw new AuthError("IDP_ERROR", oauthErrorCode(params.get("error")));
  }
  const { oidc } = getConfig();
  let response;
  try {
    response = await fetch(oidc.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      credentials: "omit",
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: oidc.clientId,
        code: params.get("code"),
        redirect_uri: oidc.redirectUri,
        code_verifier: pending.verifier,
      }),
    });
  } catch (err) {
    throw new AuthError("NETWORK_ERROR", err.message);
  }
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  if (!response.ok || !body.access_token) {
    throw new AuthError("TOKEN_EXCHANGE_FAILED", oauthErrorCode(body.error) || `HTTP ${response.status}`);
  }
  const byExpiresIn = Date.now() + (Number(body.expires_in) || 3600) * 1000;
  const byClaim = jwtExpiry(body.access_token);
  writeSession({
    accessToken: body.access_token,
    idToken: body.id_token || null,
    expiresAt: byClaim ? Math.min(byClaim, byExpiresIn) : byExpiresIn,
  });
  return true;
}

/** Forgets the tokens (used when the API says the token is no longer accepted). */
export function dropSession() {
  writeSession(null);
}

/** Signs out: forgets the tokens here and ends the issuer's session when it has a logout URL. */
export function signOut() {
  writeSession(null);
  const { oidc } = getConfig();
  if (oidc.logoutUrl) {
    const url = new URL(oidc.logoutUrl, location.href);
    url.search = new URLSearchParams({ client_id: oidc.clientId, logout_uri: oidc.redirectUri }).toString();
    location.assign(url.toString());
  } else {
    location.assign(oidc.redirectUri);
  }
}
