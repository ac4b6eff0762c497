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
