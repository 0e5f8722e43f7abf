// The admin API client: bearer token, JSON in and out, every failure turned into an ApiError
// with a code and a message (shown to the user in words by ui/errors.js).
import { dropSession, getAccessToken } from "./auth.js";
import { getConfig } from "./config.js";

/** The API's largest page (?limit=); bigger lists are followed by cursor. */
export const PAGE_MAX = 100;

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let onUnauthorized = () => {};

/** Called once when a request finds the session missing or rejected (the re-login prompt). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

function buildUrl(path, query) {
  const url = new URL(getConfig().apiBase + path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  return url.toString();
}

async function request(method, path, { body, query, as = "json", signal } = {}) {
  const token = getAccessToken();
  if (!token) {
    onUnauthorized();
    throw new ApiError(401, "SESSION_EXPIRED", "session expired");
  }
  const headers = { Authorization: `Bearer ${token}`, Accept: as === "json" ? "application/json" : "text/plain" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "NETWORK_ERROR", err.message);
  }
  if (response.status === 401) {
    dropSession();
    onUnauthorized();
    throw new ApiError(401, "SESSION_EXPIRED", "session expired");
  }
  if (!response.ok) {
    let code = `HTTP_${response.status}`;
    let message = response.statusText;
    let details;
    try {
      const data = await response.json();
      if (data && data.error) {
        code = data.error.code || code;
        message = data.error.message || message;
        details = data.error.details || data.error;
      }
    } catch {
      /* not JSON: keep the HTTP status as the code */
    }
    const error = new ApiError(response.status, code, message, details);
    if (details && typeof details.field === "string") error.field = details.field; // VALIDATION_ERROR: the input it is about
    throw error;
  }
  if (as === "text") return response.text();
  if (as === "part") return { text: await response.text(), next: response.headers.get("Edgex-Next-Cursor") };
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path, query, opts = {}) => request("GET", path, { query, ...opts }),
  text: (path, opts = {}) => request("GET", path, { as: "text", ...opts }),
  post: (path, body) => request("POST", path, { body }),
  put: (path, body) => request("PUT", path, { body: body ?? {} }),
  del: (path) => request("DELETE", path),
  /** A text the API answers in parts (Edgex-Next-Cursor names the next): every part, in order. */
  async textParts(path, { signal } = {}) {
    const parts = [];
    let cursor = null;
    do {
      const part = await request("GET", path, { query: { cursor }, as: "part", signal });
      parts.push(part.text);
      cursor = part.next || null;
    } while (cursor);
    return parts;
  },
  /** Follows next_cursor until the end (or maxItems), returning all items. */
  async listAll(path, { limit = 200, maxItems = 10000, query = {}, signal } = {}) {
    const items = [];
    let cursor = null;
    do {
      const page = await request("GET", path, { query: { ...query, limit: Math.min(limit, PAGE_MAX), cursor }, signal });
      items.push(...(page.items || []));
      cursor = page.next_cursor || null;
    } while (cursor && items.length < maxItems);
    return items;
  },
};
