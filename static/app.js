// Progressive enhancement only: every page works without this file.
"use strict";

// A submit button with data-requires-all="<form selector>" is usable only when every
// required checkbox of its form is ticked (the server checks again regardless).
function syncRequiredCheckboxes(root) {
  root.querySelectorAll("[data-requires-all]").forEach(function (button) {
    var form = button.closest("form");
    if (!form) { return; }
    var boxes = form.querySelectorAll("input[type=checkbox][required]");
    var ready = Array.prototype.every.call(boxes, function (b) { return b.checked && !b.disabled; });
    button.disabled = !ready;
    button.setAttribute("aria-disabled", String(!ready));
  });
}

document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("input[type=checkbox]")) {
    syncRequiredCheckboxes(document);
  }
});
document.addEventListener("DOMContentLoaded", function () { syncRequiredCheckboxes(document); });
document.addEventListener("htmx:afterSwap", function (event) { syncRequiredCheckboxes(event.target); });

// Business hours: the closing banner counts down the minutes left. It counts from the
// server's figure (data-hours-seconds-left) with the browser's monotonic clock, so a
// browser whose clock is wrong still shows the right minutes; at zero it reloads and the
// server's hours gate ends the session. The server-rendered text is right without this.
function sekishoHoursCountdown() {
  var banner = document.querySelector("[data-hours-seconds-left]");
  if (!banner) { return; }
  var secondsLeft = parseInt(banner.getAttribute("data-hours-seconds-left"), 10);
  if (isNaN(secondsLeft)) { return; }
  var started = performance.now();
  var reloaded = false;
  function tick() {
    var remaining = secondsLeft - (performance.now() - started) / 1000;
    if (remaining <= 0) {
      if (!reloaded) { reloaded = true; window.location.reload(); }
      return;
    }
    var minutes = Math.ceil(remaining / 60);
    var template = banner.getAttribute(minutes === 1 ? "data-hours-text-one" : "data-hours-text-other");
    if (template) { banner.textContent = template.replace("{n}", String(minutes)); }
  }
  tick();
  window.setInterval(tick, 5000);
}
document.addEventListener("DOMContentLoaded", sekishoHoursCountdown);
