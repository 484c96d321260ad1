// The player's own controls, the only ones it has (the <video> carries no `controls`): play,
// the seek bar (a keyboard slider, with storyboard previews), time, volume, speed, captions,
// full screen, the keyboard shortcuts, and the "next lecture" prompt at the end.
//
// Every control is a real button, slider or menu (role="menu" of "menuitemradio"s) with a
// label in the page's language, so that a keyboard or a screen reader drives the player as a
// mouse does. The labels come from the server (lms/web/player.py, `player_text`), translated
// like the rest of the page.

import { clock, csrfToken } from "./common.js";

export const RATES = [0.75, 1, 1.25, 1.5, 1.75, 2];
const NEXT_COUNTDOWN_S = 5;
const SEEK_SMALL_S = 5;
const SEEK_LARGE_S = 10;
const CAPTIONS_KEY = "lms-captions"; // the track showing ("" = off); absent = never chosen
const CAPTIONS_TRACK_KEY = "lms-captions-track"; // the last track the member turned on
const VOLUME_KEY = "lms-volume";
const RATE_KEY = "lms-rate";
export const AUTOPLAY_KEY = "lms-autoplay-lecture"; // set when the countdown moves on

// "{n}초 후에 시작합니다" with n = 5: the server's translated texts carry {name} slots.
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_m, key) => String(values[key] ?? ""));

// 65 → "1분 5초" (in Korean): the time as a screen reader should say it.
export function spokenTime(seconds, t) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [];
  if (h) parts.push(fill(t.hours, { n: h }));
  if (m) parts.push(fill(t.minutes, { n: m }));
  if (s % 60 || !parts.length) parts.push(fill(t.seconds, { n: s % 60 }));
  return parts.join(" ");
}

function setLabel(element, text) {
  element.setAttribute("aria-label", text);
  element.title = text;
}

// ---------------------------------------------------------------- menus
const menus = [];

function closeMenus(except = null) {
  for (const menu of menus) if (menu !== except) menu.close(false);
}

document.addEventListener("click", (event) => {
  if (!event.target.closest?.(".player-menu")) closeMenus();
});

// A menu button and its menu of choices (WAI-ARIA menu button pattern): Enter, Space or the
// arrows open it on the checked item; the arrows, Home and End move; Enter or Space chooses;
// Escape closes it and gives the focus back to the button; Tab closes it and moves on.
export function makeMenu(root, name, onChoose) {
  const button = root.querySelector(`[data-menu-button="${name}"]`);
  const list = root.querySelector(`[data-menu="${name}"]`);
  if (!button || !list) return null;
  const baseLabel = button.getAttribute("aria-label");
  const items = () => Array.from(list.querySelectorAll('[role="menuitemradio"]'));

  const menu = {
    button,
    list,
    open() {
      closeMenus(menu);
      list.hidden = false;
      button.setAttribute("aria-expanded", "true");
      const all = items();
      (all.find((item) => item.getAttribute("aria-checked") === "true") || all[0])?.focus();
    },
    close(focusButton) {
      if (list.hidden) return;
      list.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (focusButton) button.focus();
    },
    setItems(entries) {
      list.replaceChildren(
        ...entries.map(({ value, label }) => {
          const item = document.createElement("li");
          item.setAttribute("role", "menuitemradio");
          item.setAttribute("aria-checked", "false");
          item.tabIndex = -1;
          item.dataset.value = String(value);
          item.textContent = label;
          return item;
        }),
      );
    },
    setItemLabel(value, label) {
      const item = items().find((i) => i.dataset.value === String(value));
      if (item) item.textContent = label;
    },
    // Mark the choice in force and show it on the button ("재생 속도: 1.25×").
    check(value) {
      let label = "";
      for (const item of items()) {
        const on = item.dataset.value === String(value);
        item.setAttribute("aria-checked", String(on));
        if (on) label = item.textContent;
      }
      setLabel(button, `${baseLabel}: ${label}`);
      const shown = button.querySelector("[data-menu-value]");
      if (shown) shown.textContent = label;
    },
  };

  const choose = (item) => {
    menu.close(true);
    onChoose(item.dataset.value);
  };
  button.addEventListener("click", () => (list.hidden ? menu.open() : menu.close(false)));
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      menu.open();
    }
  });
  list.addEventListener("click", (event) => {
    const item = event.target.closest('[role="menuitemradio"]');
    if (item) choose(item);
  });
  list.addEventListener("keydown", (event) => {
    const all = items();
    const index = all.indexOf(document.activeElement);
    const move = {
      ArrowDown: () => all[(index + 1) % all.length].focus(),
      ArrowUp: () => all[(index - 1 + all.length) % all.length].focus(),
      Home: () => all[0].focus(),
      End: () => all[all.length - 1].focus(),
      Enter: () => index >= 0 && choose(all[index]),
      " ": () => index >= 0 && choose(all[index]),
      Escape: () => menu.close(true),
    }[event.key];
    if (event.key === "Tab") menu.close(false);
    if (!move) return;
    event.preventDefault();
    event.stopPropagation();
    move();
  });
  menus.push(menu);
  return menu;
}

// ---------------------------------------------------------------- the controls
export function setupControls({ root, video, config }) {
  const t = config.text;
  const playButton = root.querySelector("[data-play]");
  const bigPlay = root.querySelector("[data-big-play]");

  const togglePlay = () => (video.paused || video.ended ? video.play().catch(() => {}) : video.pause());
  const showState = () => {
    root.dataset.state = video.ended ? "ended" : video.paused ? "paused" : "playing";
    setLabel(playButton, video.paused ? t.play : t.pause);
  };
  for (const name of ["play", "pause", "ended", "emptied"]) video.addEventListener(name, showState);
  playButton.addEventListener("click", togglePlay);
  bigPlay.addEventListener("click", togglePlay);
  // A click (or a phone's first tap) on the picture plays or pauses, as on YouTube.
  video.addEventListener("click", togglePlay);
  showState();

  // Time: "0:03 / 0:14" beside the buttons.
  const now = root.querySelector("[data-time-now]");
  const total = root.querySelector("[data-time-total]");
  video.addEventListener("timeupdate", () => (now.textContent = clock(video.currentTime)));
  video.addEventListener("durationchange", () => {
    if (Number.isFinite(video.duration)) total.textContent = clock(video.duration);
  });

  setupVolume(root, video, t);
  const rate = setupSpeed(root, video, config);
  const captions = setupCaptions(root, video, config);
  const fullscreen = setupFullscreen(root, video, t);
  setupSeekBar(root, video, t);
  const next = setupNextLecture(root, video, t);
  setupKeyboard({ video, togglePlay, rate, captions, fullscreen, next });
  return { next };
}

function setupVolume(root, video, t) {
  const mute = root.querySelector("[data-mute]");
  const range = root.querySelector("[data-volume]");
  const stored = Number(localStorage.getItem(VOLUME_KEY));
  if (localStorage.getItem(VOLUME_KEY) !== null && stored >= 0 && stored <= 1) video.volume = stored;
  const show = () => {
    const silent = video.muted || video.volume === 0;
    root.dataset.muted = String(silent);
    setLabel(mute, silent ? t.unmute : t.mute);
    range.value = String(silent ? 0 : video.volume);
    range.setAttribute("aria-valuetext", `${Math.round(Number(range.value) * 100)}%`);
  };
  mute.addEventListener("click", () => {
    if (video.muted || video.volume === 0) {
      video.muted = false;
      if (video.volume === 0) video.volume = 0.5;
    } else {
      video.muted = true;
    }
  });
  range.addEventListener("input", () => {
    video.volume = Number(range.value);
    video.muted = video.volume === 0;
    localStorage.setItem(VOLUME_KEY, range.value);
  });
  video.addEventListener("volumechange", show);
  show();
}

function setupSpeed(root, video, config) {
  const menu = makeMenu(root, "speed", (value) => apply(Number(value)));
  menu.setItems(RATES.map((rate) => ({ value: rate, label: `${rate}×` })));
  const apply = (rate, { remember = true } = {}) => {
    if (!RATES.includes(rate)) return;
    video.playbackRate = rate;
    video.defaultPlaybackRate = rate;
    menu.check(rate);
    if (!remember) return;
    localStorage.setItem(RATE_KEY, String(rate));
    if (config.preferencesUrl) {
      fetch(config.preferencesUrl, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(config.csrf) },
        body: JSON.stringify({ playback_rate: rate }),
      }).catch(() => {});
    }
  };
  const stored = Number(localStorage.getItem(RATE_KEY)) || config.rate || 1;
  apply(RATES.includes(stored) ? stored : 1, { remember: false });
  const step = (by) => {
    const index = RATES.indexOf(video.playbackRate);
    apply(RATES[Math.min(RATES.length - 1, Math.max(0, (index < 0 ? 1 : index) + by))]);
  };
  return { faster: () => step(1), slower: () => step(-1) };
}

// Captions: Korean first (the server lists it first). The first visit shows the first track;
// after that the member's own choice holds, and `C` turns on the track they chose last.
function setupCaptions(root, video, config) {
  const t = config.text;
  const languages = config.captions.map((c) => c.lang);
  const menu = makeMenu(root, "captions", (value) => choose(value));
  if (!menu) return { toggle() {} };
  menu.setItems([
    { value: "", label: t.captionsOff },
    ...config.captions.map((c) => ({ value: c.lang, label: c.label })),
  ]);
  const stored = localStorage.getItem(CAPTIONS_KEY);
  let current = stored === null ? languages[0] : stored;
  if (current && !languages.includes(current)) current = languages[0];

  const subtitleTracks = () =>
    Array.from(video.textTracks).filter((track) => track.kind === "subtitles");
  const apply = () => {
    for (const track of subtitleTracks()) {
      const mode = current && track.language === current ? "showing" : "disabled";
      if (track.mode !== mode) track.mode = mode;
    }
    root.dataset.captions = current ? "on" : "off";
    menu.check(current);
  };
  const choose = (language) => {
    current = languages.includes(language) ? language : "";
    localStorage.setItem(CAPTIONS_KEY, current);
    if (current) localStorage.setItem(CAPTIONS_TRACK_KEY, current);
    apply();
  };
  // hls.js adds the tracks once it has read the master playlist (native HLS: at metadata).
  video.textTracks.addEventListener("addtrack", apply);
  video.addEventListener("loadedmetadata", apply);
  apply();
  return {
    toggle() {
      if (current) return choose("");
      const last = localStorage.getItem(CAPTIONS_TRACK_KEY);
      choose(languages.includes(last) ? last : languages[0]);
    },
  };
}

function setupFullscreen(root, video, t) {
  const button = root.querySelector("[data-fullscreen]");
  const toggle = () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (root.requestFullscreen) root.requestFullscreen().catch(() => {});
    else video.webkitEnterFullscreen?.(); // iPhone: only the video itself goes full screen
  };
  const show = () => {
    const on = document.fullscreenElement === root;
    root.dataset.fullscreenOn = String(on);
    setLabel(button, on ? t.exitFullscreen : t.fullscreen);
  };
  button.addEventListener("click", toggle);
  document.addEventListener("fullscreenchange", show);
  show();
  return { toggle };
}

// ---------------------------------------------------------------- seek bar and storyboard
let storyboard = [];

export async function loadStoryboard(url) {
  if (!url) return;
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    const text = await response.text();
    const base = new URL(url, location.href);
    const cue = /([\d:.]+)\s+-->\s+([\d:.]+)\s*\n(\S+?)#xywh=(\d+),(\d+),(\d+),(\d+)/g;
    const secs = (v) => v.split(":").reduce((acc, part) => acc * 60 + Number(part), 0);
    for (const m of text.matchAll(cue)) {
      storyboard.push({
        start: secs(m[1]),
        end: secs(m[2]),
        url: new URL(m[3], base).href,
        x: +m[4], y: +m[5], w: +m[6], h: +m[7],
      });
    }
  } catch {
    storyboard = [];
  }
}

// The seek bar is a slider (←/→ 5 s, PageUp/PageDown 10 s, Home, End) that a pointer can
// click or drag; hovering or dragging shows the storyboard tile and the time under the
// pointer. A drag seeks once, where it ends: every seek sends a progress report.
function setupSeekBar(root, video, t) {
  const bar = root.querySelector("[data-seekbar]");
  const played = bar.querySelector("[data-seek-played]");
  const preview = bar.querySelector("[data-seek-preview]");
  const previewTime = preview.querySelector("[data-seek-preview-time]");
  let dragging = false;

  const duration = () => (Number.isFinite(video.duration) ? video.duration : 0);
  const fraction = (event) => {
    const rect = bar.getBoundingClientRect();
    return Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
  };
  const showPlayed = (seconds) => {
    const d = duration();
    played.style.width = d ? `${(seconds / d) * 100}%` : "0";
    bar.setAttribute("aria-valuemax", String(Math.round(d)));
    bar.setAttribute("aria-valuenow", String(Math.round(seconds)));
    bar.setAttribute(
      "aria-valuetext",
      fill(t.positionOf, { position: spokenTime(seconds, t), duration: spokenTime(d, t) }),
    );
  };
  const showPreview = (f) => {
    const time = f * duration();
    previewTime.textContent = clock(time);
    const cue = storyboard.find((c) => time >= c.start && time < c.end);
    if (cue) {
      preview.style.backgroundImage = `url("${cue.url}")`;
      preview.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
      preview.style.width = `${cue.w}px`;
      preview.style.height = `${cue.h}px`;
      preview.dataset.thumbnail = "1";
    }
    preview.hidden = false;
    // Kept inside the player at both ends, where a centred tile would be cut off.
    const width = bar.getBoundingClientRect().width;
    const half = preview.offsetWidth / 2;
    preview.style.left = `${Math.min(width - half, Math.max(half, f * width))}px`;
  };
  const seekTo = (seconds) => {
    const d = duration();
    if (!d) return;
    video.currentTime = Math.min(Math.max(0, seconds), d);
    showPlayed(video.currentTime);
  };

  bar.addEventListener("pointerdown", (event) => {
    if (!duration() || event.button > 0) return;
    dragging = true;
    bar.setPointerCapture(event.pointerId);
    showPreview(fraction(event));
    showPlayed(fraction(event) * duration());
  });
  bar.addEventListener("pointermove", (event) => {
    if (!duration()) return;
    showPreview(fraction(event));
    if (dragging) showPlayed(fraction(event) * duration());
  });
  bar.addEventListener("pointerup", (event) => {
    if (!dragging) return;
    dragging = false;
    seekTo(fraction(event) * duration());
    if (event.pointerType !== "mouse") preview.hidden = true;
  });
  bar.addEventListener("pointercancel", () => {
    dragging = false;
    preview.hidden = true;
  });
  bar.addEventListener("pointerleave", () => {
    if (!dragging) preview.hidden = true;
  });
  bar.addEventListener("keydown", (event) => {
    const d = duration();
    const to = {
      ArrowLeft: video.currentTime - SEEK_SMALL_S,
      ArrowDown: video.currentTime - SEEK_SMALL_S,
      ArrowRight: video.currentTime + SEEK_SMALL_S,
      ArrowUp: video.currentTime + SEEK_SMALL_S,
      PageDown: video.currentTime - SEEK_LARGE_S,
      PageUp: video.currentTime + SEEK_LARGE_S,
      Home: 0,
      End: d,
    }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    event.stopPropagation(); // the page's own ←/→ would seek a second time
    seekTo(to);
  });
  video.addEventListener("timeupdate", () => {
    if (!dragging) showPlayed(video.currentTime);
  });
  video.addEventListener("durationchange", () => showPlayed(video.currentTime));
  return { seekTo };
}

export function drawCoverage(root, ranges, duration) {
  const layer = root.querySelector("[data-seek-coverage]");
  if (!layer || !duration) return;
  layer.innerHTML = "";
  for (const [start, end] of ranges) {
    const span = document.createElement("span");
    span.style.left = `${(start / duration) * 100}%`;
    span.style.width = `${((end - start) / duration) * 100}%`;
    layer.append(span);
  }
}

// ---------------------------------------------------------------- next lecture
// At the end, the next lecture of the course after a short countdown, as on YouTube; a
// button or Escape cancels, and playing or seeking again does too. The last lecture of a
// course has none (the template leaves the prompt out).
function setupNextLecture(root, video, t) {
  const box = root.querySelector("[data-next]");
  if (!box) return { cancel() {}, get visible() { return false; } };
  const countdown = box.querySelector("[data-next-countdown]");
  const go = box.querySelector("[data-next-go]");
  let timer = null;

  const cancel = () => {
    if (box.hidden) return;
    clearInterval(timer);
    timer = null;
    const hadFocus = box.contains(document.activeElement);
    box.hidden = true;
    if (hadFocus) root.querySelector("[data-play]").focus();
  };
  const leave = () => sessionStorage.setItem(AUTOPLAY_KEY, box.dataset.nextLecture);
  go.addEventListener("click", leave);
  box.querySelector("[data-next-cancel]").addEventListener("click", cancel);
  video.addEventListener("ended", () => {
    if (document.querySelector("[data-course-completed]")?.open) return;
    let left = NEXT_COUNTDOWN_S;
    countdown.textContent = fill(t.nextIn, { n: left });
    box.hidden = false;
    clearInterval(timer);
    timer = setInterval(() => {
      left -= 1;
      if (left > 0) {
        countdown.textContent = fill(t.nextIn, { n: left });
        return;
      }
      clearInterval(timer);
      leave();
      location.assign(go.href);
    }, 1000);
  });
  video.addEventListener("play", cancel);
  video.addEventListener("seeking", cancel);
  return {
    cancel,
    get visible() {
      return !box.hidden;
    },
  };
}

// ---------------------------------------------------------------- keyboard and touch
// YouTube's keys, on the whole page except where the member types: Space or K, J/L (10 s),
// ←/→ (5 s), M, F, C, < and >, 0–9 (to that tenth of the lecture); Escape cancels the next
// lecture's countdown. A focused button keeps Space and Enter, a menu or the seek bar its
// arrows.
function setupKeyboard({ video, togglePlay, rate, captions, fullscreen, next }) {
  const seekBy = (seconds) => {
    const d = Number.isFinite(video.duration) ? video.duration : 0;
    video.currentTime = Math.min(Math.max(0, video.currentTime + seconds), d || Infinity);
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target;
    if (event.key === "Escape" && next.visible) {
      event.preventDefault();
      next.cancel();
      return;
    }
    if (target.closest?.("input, textarea, select, [contenteditable], [role='menu'], dialog")) {
      return;
    }
    const activates = target.closest?.("button, a, summary");
    if (activates && (event.key === " " || event.key === "Enter")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const actions = {
      " ": togglePlay,
      k: togglePlay,
      j: () => seekBy(-SEEK_LARGE_S),
      l: () => seekBy(SEEK_LARGE_S),
      ArrowLeft: () => seekBy(-SEEK_SMALL_S),
      ArrowRight: () => seekBy(SEEK_SMALL_S),
      m: () => (video.muted = !video.muted),
      f: fullscreen.toggle,
      c: captions.toggle,
      ">": rate.faster,
      "<": rate.slower,
    };
    let action = actions[key];
    if (!action && /^[0-9]$/.test(key) && Number.isFinite(video.duration)) {
      action = () => (video.currentTime = (Number(key) / 10) * video.duration);
    }
    if (action) {
      event.preventDefault();
      action();
    }
  });
}
