// The lecture player: hls.js (or native HLS), quality and audio only, chapters, resume, and
// honest progress reports. The controls themselves (buttons, seek bar, menus, keyboard, the
// next lecture's countdown) are in player_controls.js.
//
// Progress: the player reports the media ranges it actually played (not the position alone).
// It queues what it played every ~10 s and sends the queue every ~30 s, and at once on pause,
// seek, rate or quality change, ended and page hide: one request carries about three
// queuings' worth of watching. Reports wait in localStorage until the server acknowledges
// them, so a dropped connection or a closed tab loses nothing. Coverage is a union and the
// server's merge is idempotent, so the queue keeps one report per lecture and player session,
// the union of its ranges, however long the player stays offline; sending one twice is
// harmless.

import { csrfToken } from "./common.js";
import {
  AUTOPLAY_KEY,
  drawCoverage,
  fill,
  loadStoryboard,
  makeMenu,
  setupControls,
} from "./player_controls.js";

const QUEUE_EVERY_MS = 10_000;
// Every watching member's player sends at this pace, so it sets the server's load: one request
// a minute carries six queued ticks (figures: docs/performance.md). Pause, seek, end, a quality
// change and page hide send at once. The server's carry-over (rules.CREDIT_CARRY_SECONDS) is
// two of these.
const SEND_EVERY_MS = 60_000;
const MAX_QUEUED_REPORTS = 50; // the server takes this many per request (one per page load)
const MAX_RANGES_PER_REPORT = 500; // and this many ranges per report
const SEEK_JUMP_S = 1.5; // a jump larger than this between two timeupdates is a seek
const QUEUE_KEY = "lms-progress-queue";

const config = JSON.parse(document.getElementById("lecture-config").textContent);
const root = document.querySelector("[data-player]");
const video = root.querySelector("video");
const messageBox = root.querySelector("[data-player-message]");
const t = config.text;

function showMessage(text) {
  messageBox.textContent = text;
  messageBox.hidden = false;
}

// ---------------------------------------------------------------- playback source
let hls = null;
// "Audio only" plays the audio rendition's own playlist: the master lists no audio-only
// variant (VLC 3 cannot play a master that does), so it is a source, not a level.
let audioOnly = false;
// Until the member first plays, hls.js loads one segment (the first frame, at the resume
// point) instead of up to 60 MB ahead, and no extra segment to test the bandwidth (it
// starts at its default estimate and measures on what it plays): a lecture page opened
// and not played stays under 1 MB, fonts and scripts included
// (tests/browser/test_page_weight.py).
const BEFORE_PLAY_BUFFER_S = 1;
let played = false;

function bufferAhead(hlsConfig) {
  const defaults = window.Hls.DefaultConfig;
  hlsConfig.maxBufferLength = played ? defaults.maxBufferLength : BEFORE_PLAY_BUFFER_S;
  hlsConfig.maxMaxBufferLength = played ? defaults.maxMaxBufferLength : BEFORE_PLAY_BUFFER_S;
  return hlsConfig;
}

video.addEventListener(
  "play",
  () => {
    played = true;
    if (hls) bufferAhead(hls.config); // hls.js reads these on every tick
  },
  { once: true },
);

function loadHls(src, startPosition, level = -1) {
  if (hls) hls.destroy();
  // hls.js sets its own start position when it loads; telling it where to start is what
  // makes resume work (a currentTime set at loadedmetadata is overwritten).
  hls = new window.Hls(
    bufferAhead({
      capLevelToPlayerSize: true,
      startLevel: played ? -1 : 0,
      startPosition,
      testBandwidth: played,
    }),
  );
  hls.on(window.Hls.Events.MANIFEST_PARSED, (_event, data) => {
    if (level >= 0) hls.currentLevel = level;
    if (!audioOnly) buildQualityMenu(data.audioTracks || []);
  });
  hls.on(window.Hls.Events.LEVEL_SWITCHED, (_event, data) => showLevelPlaying(data.level));
  let recoveredOnce = false;
  hls.on(window.Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR && !recoveredOnce) {
      recoveredOnce = true;
      hls.recoverMediaError();
      return;
    }
    if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR && navigator.onLine === false) {
      showMessage(t.offline);
      window.addEventListener("online", () => hls.startLoad(), { once: true });
      return;
    }
    showMessage(t.cannotPlay);
    hls.destroy();
  });
  hls.loadSource(src);
  hls.attachMedia(video);
}

function attachSource() {
  if (window.Hls && window.Hls.isSupported()) {
    loadHls(config.src, startAt());
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = config.src; // Safari and iOS play HLS natively
  } else {
    showMessage(t.unsupported);
  }
  video.addEventListener("error", () => {
    if (!hls) showMessage(t.cannotPlay);
  });
}

// ---------------------------------------------------------------- quality and audio only
// The quality menu: "자동 (480p)" says what auto is playing, then each rendition from the
// highest, then audio only.
let qualityMenu = null;
let audioUrl = "";
let chosenLevel = -1; // the member's choice: -1 is auto

function buildQualityMenu(audioTracks) {
  if (!hls || qualityMenu) return;
  qualityMenu = makeMenu(root, "quality", chooseQuality);
  if (!qualityMenu) return;
  const levels = hls.levels
    .map((level, index) => ({ value: index, height: level.height }))
    .filter((level) => level.height)
    .sort((a, b) => b.height - a.height);
  audioUrl = audioTracks.length ? audioTracks[0].url : "";
  qualityMenu.setItems([
    { value: -1, label: t.auto },
    ...levels.map((level) => ({ value: level.value, label: `${level.height}p` })),
    ...(audioUrl ? [{ value: "audio", label: t.audioOnly }] : []),
  ]);
  qualityMenu.check(-1);
  root.querySelector("[data-quality-control]").hidden = false;
}

// In auto, the first item and the button say which rendition is playing.
function showLevelPlaying(index) {
  if (!qualityMenu || audioOnly) return;
  const height = hls?.levels[index]?.height;
  const auto = chosenLevel === -1;
  qualityMenu.setItemLabel(-1, auto && height ? fill(t.autoPlaying, { quality: `${height}p` }) : t.auto);
  qualityMenu.check(chosenLevel);
}

function chooseQuality(value) {
  sendNow(); // what was played at the old quality, before the source may change
  const wasPlaying = !video.paused;
  const position = video.currentTime;
  const resumePlay = () => {
    if (wasPlaying) video.play().catch(() => {});
  };
  if (value === "audio") {
    audioOnly = true;
    root.dataset.audioOnly = "true";
    qualityMenu.setItemLabel(-1, t.auto);
    qualityMenu.check("audio");
    loadHls(audioUrl, position);
    resumePlay();
    return;
  }
  chosenLevel = Number(value);
  if (audioOnly) {
    audioOnly = false;
    delete root.dataset.audioOnly;
    loadHls(config.src, position, chosenLevel);
    resumePlay();
  } else {
    hls.currentLevel = chosenLevel;
  }
  showLevelPlaying(chosenLevel >= 0 ? chosenLevel : hls.currentLevel);
}

function setupChapters() {
  for (const button of document.querySelectorAll("[data-chapter]")) {
    button.addEventListener("click", () => {
      video.currentTime = Number(button.dataset.chapter);
      video.play().catch(() => {});
    });
  }
  // Other parts of the page (the questions' moments, js/qna.js) ask for a seek this way.
  document.addEventListener("lms:seek", (event) => {
    const seconds = Number(event.detail?.seconds);
    if (!Number.isFinite(seconds)) return;
    video.currentTime = Math.min(Math.max(0, seconds), video.duration || seconds);
    video.play().catch(() => {});
  });
}

// ---------------------------------------------------------------- progress reports
const session = crypto.randomUUID ? crypto.randomUUID() : fallbackUuid();
let seq = 0;
let segmentStart = null; // where the current contiguous stretch of playing began
let lastTime = 0;
let pending = []; // closed [start, end] ranges not yet put in a report

function fallbackUuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function closeSegment(end) {
  if (segmentStart !== null && end > segmentStart + 0.05) {
    pending.push([round(segmentStart), round(end)]);
  }
  segmentStart = null;
}

function round(x) {
  return Math.round(x * 1000) / 1000;
}

video.addEventListener("timeupdate", () => {
  const now = video.currentTime;
  if (!video.paused && !video.seeking) {
    const jumped = Math.abs(now - lastTime) > SEEK_JUMP_S * Math.max(1, video.playbackRate);
    if (segmentStart === null || jumped) {
      if (jumped) closeSegment(lastTime);
      segmentStart = now;
    }
  }
  lastTime = now;
});
video.addEventListener("seeking", () => closeSegment(lastTime));
video.addEventListener("seeked", () => {
  lastTime = video.currentTime;
  if (!video.paused) segmentStart = video.currentTime;
  sendNow();
});
video.addEventListener("pause", () => sendNow());
video.addEventListener("ended", () => sendNow());
video.addEventListener("ratechange", () => sendNow());
video.addEventListener("playing", () => {
  segmentStart = video.currentTime;
  lastTime = video.currentTime;
});

function readQueue() {
  try {
    return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]");
  } catch {
    return [];
  }
}

function writeQueue(queue) {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue.slice(-MAX_QUEUED_REPORTS)));
}

// The union of two lists of [start, end] ranges, sorted, overlapping and touching ones joined.
function unionRanges(a, b) {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const out = [];
  for (const [start, end] of all) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

// Put what was played since the last call into the queue: into this session's report if it
// is there (the union of the ranges, the newest position), else as a new one.
function queueReport() {
  if (!config.heartbeatUrl) return;
  if (segmentStart !== null) {
    closeSegment(video.currentTime);
    if (!video.paused && !video.ended) segmentStart = video.currentTime;
  }
  const ranges = pending;
  pending = [];
  const queue = readQueue();
  const report = {
    lecture: config.lecture,
    session,
    seq: seq++,
    ranges,
    position: round(video.currentTime || 0),
    rate: video.playbackRate || 1,
    sent_at: new Date().toISOString(),
  };
  const mine = queue.find((r) => r.session === session && r.lecture === config.lecture);
  const union = mine ? unionRanges(mine.ranges, ranges) : null;
  if (mine && union.length <= MAX_RANGES_PER_REPORT) Object.assign(mine, report, { ranges: union });
  else queue.push(report);
  writeQueue(queue);
}

// Queue what was played and send the queue now (pause, seek, ended, a change of rate or
// quality, page hide).
function sendNow({ keepalive = false } = {}) {
  queueReport();
  flush({ keepalive });
}

let flushing = false;
// The key the page was rendered with (see lms/learning/auth.py): checked without the session;
// null → the session cookie and the CSRF header.
let heartbeatKey = config.heartbeatKey || null;

function sendReports(batch, keepalive) {
  const headers = { "Content-Type": "application/json" };
  if (heartbeatKey) headers.Authorization = `Heartbeat ${heartbeatKey}`;
  else headers["X-CSRFToken"] = csrfToken(config.csrf);
  return fetch(config.heartbeatUrl, {
    method: "POST",
    credentials: "same-origin",
    keepalive,
    headers,
    body: JSON.stringify({ reports: batch }),
  });
}

// A send asked for while one is in flight goes out when that one is answered: what was
// queued meanwhile (a pause then "ended", say) does not wait for the next 30 s tick.
let flushAgain = false;

async function flush({ keepalive = false } = {}) {
  if (flushing && !keepalive) {
    flushAgain = true;
    return;
  }
  const queue = readQueue();
  if (!queue.length || navigator.onLine === false) return;
  const batch = queue.slice(0, MAX_QUEUED_REPORTS);
  flushing = true;
  try {
    let response = await sendReports(batch, keepalive);
    if (response.status === 403 && heartbeatKey) {
      const refusal = await response.clone().json().catch(() => ({}));
      if (refusal.code === "authentication_failed") {
        // The page's key has expired (a tab left open for a day) or the password changed:
        // carry on with the session cookie, which the server checks as for any page.
        heartbeatKey = null;
        response = await sendReports(batch, keepalive);
      }
    }
    if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 429)) {
      // Accepted, or refused for good (a 4xx will never be accepted): drop them.
      const sent = new Set(batch.map((r) => `${r.session}/${r.seq}`));
      writeQueue(readQueue().filter((r) => !sent.has(`${r.session}/${r.seq}`)));
    }
    if (response.ok) onProgress(await response.json());
  } catch {
    // offline or the server is away: the reports stay queued for the next try
  } finally {
    flushing = false;
    if (flushAgain) {
      flushAgain = false;
      flush();
    }
  }
}

function onProgress(data) {
  const mine = (data.lectures || []).filter((l) => l.lecture === config.lecture).pop();
  if (!mine) return;
  drawCoverage(root, mine.coverage, mine.duration_seconds);
  const item = document.querySelector(`[data-outline-lecture="${config.lecture}"]`);
  if (item) {
    item.dataset.state = mine.state;
    const label = item.querySelector("[data-outline-state]");
    if (label) label.textContent = mine.completed ? t.completed : `${mine.percent}%`;
  }
  root.dataset.progress = String(mine.percent);
  const text = document.querySelector("[data-progress-text]");
  if (text) text.textContent = mine.completed ? t.completed : `${mine.percent}%`;
  if (mine.completed && !root.dataset.completedShown) {
    root.dataset.completedShown = "1";
    courseProgressRefresh();
  }
}

// The lecture has just been completed: the course's own figures ("30개 중 4개 완료(13%)"),
// as the server counts them (a course's percent is not the share of lectures completed),
// and the "course completed" moment when it was the last one.
async function courseProgressRefresh() {
  if (!config.courseProgressUrl) return;
  const response = await fetch(config.courseProgressUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const course = await response.json();
  const summary = document.querySelector("[data-course-progress]");
  if (summary) {
    summary.textContent = fill(t.courseProgress, {
      done: course.completed_lectures,
      total: course.total_lectures,
      percent: course.percent,
    });
  }
  for (const lecture of course.lectures || []) {
    const item = document.querySelector(`[data-outline-lecture="${lecture.lecture}"]`);
    if (!item || item.dataset.state === lecture.state) continue;
    item.dataset.state = lecture.state;
    const label = item.querySelector("[data-outline-state]");
    if (label) {
      label.textContent =
        lecture.state === "completed" ? t.completed : lecture.state === "in_progress" ? `${lecture.percent}%` : "";
    }
  }
  if (course.completed_at && course.percent >= 100) {
    controls.next.cancel();
    const dialog = document.querySelector("[data-course-completed]");
    if (dialog && !dialog.open) dialog.showModal();
  }
}

function startAt() {
  // The server already answers 0 when the stored position is near the end.
  return Math.max(0, Number(config.resume) || 0);
}

function resume() {
  // For native HLS (Safari); hls.js gets startPosition instead.
  video.addEventListener(
    "loadedmetadata",
    () => {
      if (!hls && startAt() > 0) video.currentTime = startAt();
      lastTime = video.currentTime;
    },
    { once: true },
  );
}

setInterval(() => {
  if (!video.paused) queueReport();
}, QUEUE_EVERY_MS);
setInterval(() => flush(), SEND_EVERY_MS);
window.addEventListener("online", () => flush());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") sendNow({ keepalive: true });
});
window.addEventListener("pagehide", () => sendNow({ keepalive: true }));

// ---------------------------------------------------------------- start
const controls = setupControls({ root, video, config });
setupChapters();
loadStoryboard(config.storyboard);
resume();
attachSource();
// Arrived from the previous lecture's countdown: carry on playing (the browser may refuse
// without a fresh gesture; the play button is there).
if (sessionStorage.getItem(AUTOPLAY_KEY) === String(config.lecture)) {
  sessionStorage.removeItem(AUTOPLAY_KEY);
  video.addEventListener("canplay", () => video.play().catch(() => {}), { once: true });
}
if (config.coverage) drawCoverage(root, config.coverage, config.duration);
flush(); // reports left from an earlier visit (offline, closed tab)

window.lmsPlayer = { video, flush, queueReport, sendNow, readQueue, get hls() { return hls; } };
