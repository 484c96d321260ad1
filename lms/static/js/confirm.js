// Forms that ask before they act: <form data-confirm="질문">. A script file, because the
// Content-Security-Policy runs no inline handler (an `onsubmit` attribute is ignored, and
// the form would be sent without asking).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset?.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
