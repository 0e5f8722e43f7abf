// In-memory hand-over between views: the one-liners (with the master token) that the API returns
// once, at creation. Kept only in memory, never in storage: a reload forgets them on purpose.
const oneLiners = new Map();

export function rememberOneLiners(deploymentId, data) {
  oneLiners.set(String(deploymentId), data);
}

export function oneLinersFor(deploymentId) {
  return oneLiners.get(String(deploymentId)) || null;
}

export function forgetOneLiners(deploymentId) {
  oneLiners.delete(String(deploymentId));
}
