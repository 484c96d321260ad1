// The studio's video upload: a resumable, parallel, part-by-part upload of one file
// (lms/media/uploads.py describes the protocol), then the video's processing, live.
//
// Resuming: the upload id is kept in localStorage with the file's fingerprint (name, size,
// last modified) for this lecture. After a dropped connection the parts are retried with
// backoff; after a reload or a closed tab the person picks the same file again (a page cannot
// keep a file handle) and only the parts the server does not hold yet are sent. Parts are
// small (about 1% of the file: lms/media/upload_store.py `part_size_for`), so little is sent
// twice; when the bar must go back (the parts in flight were lost) it says so.
//
// Processing: the panel shows one state at a time (no video, processing, ready, a replacement
// processing, failed) and, once a video is ready, plays it here with the lecture's own signed
// playlist, as learners get it.

import { clock, csrfToken } from "./common.js";

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;
const MAX_ATTEMPTS = 8; // per part, while online; offline time does not count
const SPEED_WINDOW_MS = 5000;

const config = JSON.parse(document.getElementById("video-panel-config").textContent);
const t = config.text;
const panel = document.querySelector("[data-video-panel]");
const $ = (name) => panel.querySelector(`[data-${name}]`);
const storeKey = `lms-upload:${config.lecture}`;

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? values[key] : match));
}

function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function setState(state) {
  panel.dataset.uploadState = state;
}

function say(text) {
  $("upload-message").textContent = text;
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.extra = (body && body.extra) || {};
  }
}

class NetworkError extends Error {}
class Cancelled extends Error {}

async function api(method, url, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(config.csrf),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(error.message);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Errors worth another try: the network, the server being busy or down, a presigned URL that
// expired (403 from object storage) or a part cut short.
function transient(error) {
  if (error instanceof NetworkError) return true;
  if (!(error instanceof ApiError)) return false;
  if (error.status >= 500 || error.status === 408 || error.status === 429) return true;
  return error.code === "part_incomplete" || error.code === "s3_forbidden";
}

// ---------------------------------------------------------------- remembering an upload

function fingerprint(file) {
  return `${file.name}\u0000${file.size}\u0000${file.lastModified}`;
}

function loadRecord() {
  try {
    return JSON.parse(localStorage.getItem(storeKey) || "null");
  } catch {
    return null;
  }
}

function saveRecord(record) {
  localStorage.setItem(storeKey, JSON.stringify(record));
}

function clearRecord() {
  localStorage.removeItem(storeKey);
}

const uploadUrl = (id) => `${config.uploadsUrl}/${id}`;

// ---------------------------------------------------------------- one upload

class ResumableUpload {
  constructor(file) {
    this.file = file;
    this.upload = null;
    this.held = new Map(); // part number -> {size, etag}: what the server holds
    this.loading = new Map(); // part number -> bytes sent so far
    this.requests = new Set();
    this.wakers = new Set(); // resolves pending waits (backoff, offline) when cancelled
    this.cancelled = false;
    this.samples = [];
    this.peak = 0; // the highest percentage shown so far
    this.shown = -1;
  }

  async run() {
    setState("preparing");
    say(t.preparing);
    this.upload = await this.retrying(() => this.resumeOrStart());
    if (this.upload.state === "completed") {
      // Completed already (the answer to "complete" was lost): nothing left to send.
      clearRecord();
      const statusUrl = config.videoStatusUrl.replace("/0/", `/${this.upload.asset}/`);
      return { video: await this.retrying(() => api("GET", statusUrl)) };
    }
    for (const part of this.upload.parts) this.held.set(part.number, part);
    // The bar reached `shown` before the page was closed; parts in flight then are lost.
    const before = loadRecord();
    if (before && before.id === this.upload.id && before.shown) this.peak = before.shown;
    if (this.held.size) {
      say(format(t.resuming, { done: this.held.size, total: this.upload.parts_count }));
    } else {
      say("");
    }
    $("upload-resume").hidden = true;
    $("upload-progress").hidden = false;
    $("upload-name").textContent = format(t.uploading, { name: this.file.name });
    setState("uploading");
    this.render();
    const queue = [];
    for (let n = 1; n <= this.upload.parts_count; n += 1) if (!this.held.has(n)) queue.push(n);
    await this.sendAll(queue);
    const result = await this.complete();
    clearRecord();
    return result;
  }

  async resumeOrStart() {
    const record = loadRecord();
    if (record && record.fingerprint === fingerprint(this.file)) {
      try {
        const upload = await api("GET", uploadUrl(record.id));
        if (upload.state === "open" || (upload.state === "completed" && upload.asset)) {
          return upload;
        }
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    } else if (record) {
      // A different file for this lecture: the interrupted upload will not be resumed.
      api("DELETE", uploadUrl(record.id)).catch(() => {});
    }
    clearRecord();
    const upload = await api("POST", config.uploadsUrl, {
      lecture: config.lecture,
      filename: this.file.name,
      size: this.file.size,
      content_type: this.file.type || "",
      head: await this.head(),
    });
    saveRecord({
      id: upload.id,
      fingerprint: fingerprint(this.file),
      name: this.file.name,
      size: this.file.size,
      shown: 0,
    });
    return upload;
  }

  async head() {
    const size = Math.min(config.headBytes, this.file.size);
    const bytes = new Uint8Array(await this.file.slice(0, size).arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  async sendAll(numbers) {
    const queue = [...numbers];
    let failure = null;
    const worker = async () => {
      while (queue.length && !this.cancelled && !failure) {
        const number = queue.shift();
        try {
          const part = await this.sendPart(number);
          this.held.set(number, part);
        } catch (error) {
          // One part failed for good: stop the others rather than send parts in vain.
          failure = failure || error;
          this.stopping = true;
          for (const xhr of this.requests) xhr.abort();
          return;
        } finally {
          this.loading.delete(number);
          this.render();
        }
      }
    };
    this.stopping = false;
    const workers = Array.from({ length: Math.max(1, this.upload.concurrency) }, worker);
    await Promise.all(workers);
    if (this.cancelled) throw new Cancelled();
    if (failure) throw failure;
  }

  async sendPart(number) {
    return this.retrying(
      async () => {
        const target = await api("POST", `${uploadUrl(this.upload.id)}/parts/${number}/url`);
        const start = (number - 1) * this.upload.part_size;
        const etag = await this.put(target, this.file.slice(start, start + target.size), number);
        return { number, size: target.size, etag };
      },
      () => {
        this.loading.delete(number);
        this.render();
      },
    );
  }

  // Run `step` until it succeeds, after transient failures (the network, a busy server)
  // with exponential backoff and jitter, waiting for the connection while offline.
  async retrying(step, onFailure = () => {}) {
    let failures = 0;
    for (;;) {
      if (this.cancelled) throw new Cancelled();
      if (!navigator.onLine) await this.waitOnline();
      try {
        return await step();
      } catch (error) {
        if (this.cancelled) throw new Cancelled();
        onFailure();
        if (!transient(error)) throw error;
        if (navigator.onLine) failures += 1;
        if (failures >= MAX_ATTEMPTS) throw error;
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** failures);
        const wait = delay / 2 + Math.random() * (delay / 2);
        if (navigator.onLine) {
          setState("retrying");
          say(format(t.retrying, { seconds: Math.ceil(wait / 1000) }));
          await this.pause(wait);
          if (!this.cancelled) setState("uploading");
        } else {
          await this.waitOnline();
        }
      }
    }
  }

  pause(ms, untilOnline = false) {
    return new Promise((resolve) => {
      const done = () => {
        this.wakers.delete(done);
        clearTimeout(timer);
        window.removeEventListener("online", done);
        resolve();
      };
      const timer = untilOnline ? null : setTimeout(done, ms);
      if (untilOnline) window.addEventListener("online", done);
      this.wakers.add(done);
    });
  }

  async waitOnline() {
    setState("offline");
    say(t.offline);
    await this.pause(0, true);
    if (!this.cancelled) {
      setState("uploading");
      say("");
    }
  }

  put(target, blob, number) {
    return new Promise((resolve, reject) => {
      if (this.cancelled || this.stopping) {
        reject(new Cancelled()); // stopped while this part's URL was on its way
        return;
      }
      const xhr = new XMLHttpRequest();
      this.requests.add(xhr);
      xhr.open(target.method, target.url);
      if (!target.direct) xhr.setRequestHeader("X-CSRFToken", csrfToken(config.csrf));
      xhr.upload.onprogress = (event) => {
        this.loading.set(number, event.loaded);
        this.render();
      };
      xhr.onload = () => {
        this.requests.delete(xhr);
        const etag = xhr.getResponseHeader("ETag");
        if (xhr.status >= 200 && xhr.status < 300 && etag) {
          resolve(etag);
          return;
        }
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          // object storage answers in XML
        }
        if (target.direct && xhr.status === 403) {
          body = { code: "s3_forbidden", message: xhr.statusText }; // e.g. an expired URL
        }
        reject(new ApiError(xhr.status, body));
      };
      xhr.onerror = () => {
        this.requests.delete(xhr);
        reject(new NetworkError("network error"));
      };
      xhr.onabort = () => {
        this.requests.delete(xhr);
        reject(new Cancelled());
      };
      xhr.send(blob);
    });
  }

  async complete() {
    setState("completing");
    say(t.completing);
    for (let round = 0; ; round += 1) {
      if (this.cancelled) throw new Cancelled();
      const parts = [...this.held.values()]
        .sort((a, b) => a.number - b.number)
        .map((part) => ({ number: part.number, etag: part.etag }));
      try {
        return await api("POST", `${uploadUrl(this.upload.id)}/complete`, { parts });
      } catch (error) {
        const again = error.extra && (error.extra.missing || error.extra.parts);
        if (error instanceof ApiError && again && round < 2) {
          // The server lacks some parts, or holds other bytes for them: send those again.
          for (const number of again) this.held.delete(number);
          setState("uploading");
          await this.sendAll(again);
          setState("completing");
          continue;
        }
        if (transient(error) && round < MAX_ATTEMPTS) {
          if (!navigator.onLine) await this.waitOnline();
          else await this.pause(RETRY_BASE_MS * 2 ** round);
          continue;
        }
        throw error;
      }
    }
  }

  async cancel() {
    this.cancelled = true;
    for (const xhr of this.requests) xhr.abort();
    for (const wake of [...this.wakers]) wake();
    clearRecord();
    if (this.upload) await api("DELETE", uploadUrl(this.upload.id)).catch(() => {});
  }

  // The bar goes back only when bytes in flight were lost (a part cut off by the network, or
  // the parts under way when the page was closed): then it says so, until it is past the
  // point it had reached.
  sayIfBack(percent) {
    const back = $("upload-back");
    if (percent < this.peak) {
      back.textContent = format(t.wentBack, { from: this.peak, to: percent });
      back.hidden = false;
    } else {
      back.hidden = true;
      this.peak = percent;
    }
    if (percent !== this.shown) {
      this.shown = percent;
      const record = loadRecord();
      if (record && this.upload && record.id === this.upload.id) {
        saveRecord({ ...record, shown: Math.max(percent, record.shown || 0) });
      }
    }
  }

  render() {
    const total = this.file.size;
    let sent = 0;
    for (const part of this.held.values()) sent += part.size;
    for (const loaded of this.loading.values()) sent += loaded;
    sent = Math.min(sent, total);
    const now = performance.now();
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > SPEED_WINDOW_MS) {
      this.samples.shift();
    }
    const [since, from] = this.samples[0];
    const speed = now > since ? ((sent - from) * 1000) / (now - since) : 0;
    const percent = total ? Math.floor((sent / total) * 100) : 0;
    this.sayIfBack(percent);
    $("upload-bar").value = percent;
    $("upload-percent").textContent = `${percent}%`;
    $("upload-speed").textContent = speed > 0 ? format(t.speed, { speed: formatBytes(speed) }) : "";
    $("upload-left").textContent =
      speed > 0 ? format(t.timeLeft, { time: clock((total - sent) / speed) }) : "";
  }
}

// ---------------------------------------------------------------- the panel

let current = null;

async function choose(file) {
  if (!file || (current && !current.cancelled)) return;
  if (file.size > config.maxBytes) {
    say(format(t.tooLarge, { limit: config.maxSize }));
    return;
  }
  current = new ResumableUpload(file);
  $("upload-drop").hidden = true;
  try {
    const result = await current.run();
    setState("done");
    $("upload-progress").hidden = true;
    say(t.uploaded);
    watch(result.video, true);
  } catch (error) {
    $("upload-progress").hidden = true;
    if (error instanceof Cancelled) {
      setState("cancelled");
      say(t.cancelled);
    } else {
      setState("error");
      if (error instanceof ApiError && error.status < 500 && error.code !== "s3_forbidden") {
        clearRecord(); // refused for good: nothing to resume
      }
      say(format(t.failed, { reason: error instanceof ApiError ? error.message : t.genericError }));
    }
  } finally {
    current = null;
    $("upload-input").value = "";
    $("upload-drop").hidden = false;
  }
}

function setupPicker() {
  const input = $("upload-input");
  const drop = $("upload-drop");
  input.addEventListener("change", () => choose(input.files[0]));
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("dragging");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("dragging");
    choose(event.dataTransfer.files[0]);
  });
  $("upload-cancel").addEventListener("click", () => current && current.cancel());
}

async function showInterrupted() {
  const record = loadRecord();
  if (!record) return;
  try {
    const upload = await api("GET", uploadUrl(record.id));
    if (upload.state !== "open") {
      clearRecord();
      if (upload.asset) watchAsset(upload.asset);
      return;
    }
    const held = upload.parts.reduce((sum, part) => sum + part.size, 0);
    const notice = $("upload-resume");
    notice.textContent = format(t.resumeHint, {
      name: record.name,
      percent: Math.floor((held / upload.size) * 100),
    });
    notice.hidden = false;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) clearRecord();
  }
}

// ---------------------------------------------------------------- processing status

let polling = null;
let replacement = config.watchIsReplacement;

function watch(status, isNew) {
  // A new upload replaces a video only if the lecture had one that plays.
  if (isNew) replacement = config.hasPlayingVideo;
  render(status);
  clearTimeout(polling);
  if (status.active) polling = setTimeout(() => poll(status.status_url), config.pollMs);
}

function watchAsset(assetId) {
  poll(config.videoStatusUrl.replace("/0/", `/${assetId}/`));
}

async function poll(url) {
  try {
    watch(await api("GET", url), false);
  } catch {
    polling = setTimeout(() => poll(url), config.pollMs * 2);
  }
}

// ---------------------------------------------------------------- the studio's player

let player = null; // hls.js instance playing the lecture's playlist

function attachPlayer() {
  const video = $("video-player");
  if (player) player.destroy();
  player = null;
  if (window.Hls && window.Hls.isSupported()) {
    // The lecture's master playlist, whose media URLs are signed as learners' are. Nothing
    // but the playlist loads before the instructor presses play.
    const hls = new window.Hls({ autoStartLoad: false, capLevelToPlayerSize: true });
    let started = false;
    video.addEventListener("play", () => {
      if (player === hls && !started) {
        started = true;
        hls.startLoad(-1);
      }
    });
    hls.loadSource(config.playerSrc);
    hls.attachMedia(video);
    player = hls;
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = config.playerSrc; // Safari plays HLS itself
  }
}

function showPlayer(status, reload) {
  const video = $("video-player");
  if (status.poster) video.poster = status.poster;
  $("video-preview").hidden = false;
  if (reload || !video.dataset.attached) {
    video.dataset.attached = "1";
    attachPlayer();
  }
  if (status.duration_seconds) {
    $("video-duration").textContent = clock(status.duration_seconds);
    $("video-length").hidden = false;
  }
}

function hidePlayer() {
  $("video-preview").hidden = true;
  $("video-length").hidden = true;
}

// ---------------------------------------------------------------- one state at a time

function render(status) {
  const box = $("video-status");
  box.dataset.state = status.state;
  box.dataset.jobState = status.job_state || "";
  const label = $("video-label");
  const bar = $("video-progress");
  const note = $("video-note");
  const percent = Math.floor(status.progress * 100);
  bar.hidden = !status.active;
  bar.value = percent;
  note.hidden = true;
  let state;
  if (status.ready && !status.active) {
    state = "ready";
    label.textContent = replacement ? t.readyReplacement : t.ready;
    // A replacement that is ready is now the lecture's video: load it afresh.
    showPlayer(status, replacement);
    config.hasPlayingVideo = true; // so that a next upload here is a replacement
  } else if (status.active) {
    state = replacement ? "replacing" : "processing";
    label.textContent =
      status.job_state === "queued" ? t.processingQueued : format(t.processing, { percent });
    if (status.eta_seconds) {
      label.textContent += ` · ${format(t.timeLeft, { time: clock(status.eta_seconds) })}`;
    }
    if (replacement) {
      note.textContent = t.pendingNote; // the current video keeps playing, here too
      note.hidden = false;
    } else {
      hidePlayer();
    }
  } else {
    state = replacement ? "replacement_failed" : "failed";
    label.textContent = status.failure_message
      ? format(t.processingFailed, { reason: status.failure_message })
      : status.state_label;
    if (!replacement) hidePlayer();
  }
  panel.dataset.panelState = state;
  setupAction($("video-retry"), status.can_retry, status.retry_url);
  setupAction($("video-cancel"), status.can_cancel, status.cancel_url);
}

function setupAction(button, enabled, url) {
  button.hidden = !enabled;
  button.onclick = async () => {
    button.disabled = true;
    try {
      watch(await api("POST", url), false);
    } catch (error) {
      say(error instanceof ApiError ? error.message : t.genericError);
    } finally {
      button.disabled = false;
    }
  };
}

setupPicker();
showInterrupted();
if (config.hasPlayingVideo) showPlayer(config.watch && !replacement ? config.watch : {}, false);
if (config.watch && (config.watch.active || config.watch.failure_message || replacement)) {
  watch(config.watch, false);
}

// For tests and the curious: the state of the panel.
window.lmsUpload = {
  loadRecord,
  state: () => panel.dataset.uploadState,
  // Bytes of parts under way that the bar counts (and would take back if they were lost).
  inFlight: () => (current ? [...current.loading.values()].reduce((a, b) => a + b, 0) : 0),
};
