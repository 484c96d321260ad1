// What the platform's scripts share: the CSRF token for API writes, and times as a clock.

// The CSRF cookie when the browser has one (it changes at sign-in), else the page's own token.
export function csrfToken(fallback) {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : fallback;
}

// 75 -> "1:15", 3725 -> "1:02:05" (whole seconds, rounded down).
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
