// The lecture page's questions: moments in posts ("12:34") seek the player, and "ask at this
// moment" fills the question's moment from where the video is. The forms work without this
// script; it only adds the player's side. The player listens for the `lms:seek` event.

import { clock } from "./common.js";

const video = document.querySelector("[data-player] video");

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
    label.textContent = clock(video.currentTime);
  };
  video.addEventListener("timeupdate", update);
  video.addEventListener("seeked", update);
  update();
  askNow.hidden = false;
  askNow.addEventListener("click", () => {
    form.querySelector("[data-ask-at]").value = clock(video.currentTime);
    form.requestSubmit();
  });
}
