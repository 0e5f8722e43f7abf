// Live updates by polling: one request at a time, paused while the tab is hidden, slower after
// errors, and stopped when the view unmounts. The status (live / retrying + the error in words)
// goes to onStatus so that a failing poll is never silent.

export function createPoller(task, { interval = 3000, maxInterval = 30000, onStatus = () => {} } = {}) {
  let timer = null;
  let stopped = false;
  let running = false;
  let failures = 0;
  let currentInterval = interval;

  async function tick() {
    timer = null;
    if (stopped) return;
    if (document.hidden) {
      schedule(interval);
      return;
    }
    running = true;
    try {
      await task();
      failures = 0;
      onStatus({ ok: true, at: Date.now() });
    } catch (err) {
      if (err && err.name === "AbortError") return;
      failures += 1;
      onStatus({ ok: false, error: err, at: Date.now() });
    } finally {
      running = false;
    }
    schedule(failures ? Math.min(maxInterval, currentInterval * 2 ** failures) : currentInterval);
  }

  function schedule(ms) {
    if (stopped || timer) return;
    timer = setTimeout(tick, ms);
  }

  function onVisibility() {
    if (!document.hidden && !running && !stopped) {
      clearTimeout(timer);
      timer = null;
      tick();
    }
  }
  document.addEventListener("visibilitychange", onVisibility);

  return {
    /** Runs now (after the current run if one is in flight) and keeps polling. */
    start() {
      stopped = false;
      if (!running) {
        clearTimeout(timer);
        timer = null;
        tick();
      }
    },
    now() {
      if (running || stopped) return;
      clearTimeout(timer);
      timer = null;
      tick();
    },
    setInterval(ms) {
      currentInterval = ms;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = null;
      document.removeEventListener("visibilitychange", onVisibility);
    },
  };
}
