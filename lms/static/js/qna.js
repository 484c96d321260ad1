// The lecture page's questions: moments in posts ("12:34") seek the player, and "ask at this
// moment" fills the question's moment from where the video is. The forms work without this
// script; it only adds the player's side. The player listens for the `lms:seek` event.

const video = document.querySelector("[data-player] video");

function formatTime(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-seek]");
  if (!button) return;
  const seconds = Number(button.dataset.seek);
  document.dispatchEvent(new CustomEvent("lms:seek", { detail: { seconds } }));
  document.querySelector("[data-player]")?.scrollIntoView({ behavior: "smooth", block: "center" });
});

const form = document.querySelector("[data-ask-form]");
const askNow = form?.querySelector("[data-ask-now]");
if (video && askNow) {
  const label = askNow.querySelector("[data-ask-now-time]");
  const update = () => {
    label.textContent = formatTime(video.currentTime);
  };
  video.addEventListener("timeupdate", update);
  video.addEventListener("seeked", update);
  update();
  askNow.hidden = false;
  askNow.addEventListener("click", () => {
    form.querySelector("[data-ask-at]").value = formatTime(video.currentTime);
    form.requestSubmit();
  });
}
