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

// A search field sends its search while the person types (the form's "input changed delay"
// trigger). Leaving the field fired "change" as well, which sent the same search a second time;
// its history push then cancelled whatever the click that left the field had started, such as
// the CSV export's download. Its "change" therefore stops here, before the form's trigger.
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("[data-search-as-you-type]")) {
    event.stopPropagation();
  }
}, true);

// A filter form sends the same filter once. Enter in a text field fires "change" and then
// "submit", and a typed search's delayed request can follow the Enter that already sent it: each
// was a second request, a second audit entry for one view and a second press of Back. The same
// filter asked again after a moment is a deliberate refresh and goes.
var sekishoFilterOnce = (function () {
  var REPEAT_MS = 1000;
  var last = new WeakMap();
  return function (event) {
    var detail = event.detail;
    var form = detail.elt;
    if (detail.verb !== "get" || !form || !form.matches || !form.matches("form.filters")) { return; }
    var asked = detail.path + "?" + new URLSearchParams(detail.formData).toString();
    var previous = last.get(form);
    var now = Date.now();
    if (previous && previous.asked === asked && now - previous.at < REPEAT_MS) {
      event.preventDefault();
      return;
    }
    last.set(form, { asked: asked, at: now });
  };
}());
document.addEventListener("htmx:configRequest", sekishoFilterOnce);

// An htmx action answered with an error (400, 403, 404, 409, 429, 5xx): htmx 2 swaps nothing
// by default, so the click seemed to do nothing. The server's error fragment (errors/_error.html)
// goes into the page's alert region instead of the action's own target, which stays as it was.
document.addEventListener("htmx:beforeSwap", function (event) {
  var xhr = event.detail.xhr;
  if (!xhr || xhr.status < 400) { return; }
  var region = document.getElementById("htmx-error");
  if (!region) { return; }
  event.detail.shouldSwap = true;
  event.detail.target = region;
  event.detail.swapOverride = "innerHTML";
  event.detail.selectOverride = "";
  region.hidden = false;
});
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.target && event.target.id === "htmx-error") {
    event.target.scrollIntoView({ block: "nearest" });
  }
});
// A new action clears the error of the previous one.
document.addEventListener("htmx:beforeRequest", function () {
  var region = document.getElementById("htmx-error");
  if (region && !region.hidden) { region.hidden = true; region.textContent = ""; }
});

// A swap that took the focused control away with it (a page link, "Mark as read") left the focus
// on <body>, and the next Tab went to the footer. The fragment marks where the focus goes instead
// (data-swap-focus, with tabindex=-1) and what a screen reader should hear (data-announce): the
// server writes both, in the page's language, so no words live here. A sort heading keeps the
// focus by itself: it has an id, and htmx focuses the new element of that id.
var sekishoSwapFocus = (function () {
  var pending = null;
  function marked(root, attribute) {
    if (root.hasAttribute(attribute)) { return root; }
    return root.querySelector("[" + attribute + "]");
  }
  function announce(text) {
    var region = document.getElementById("htmx-status");
    if (!region) { return; }
    region.textContent = "";
    // Emptied first and filled a moment later, so the same words twice (a page, then back) are read again.
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { region.textContent = text; }, 100);
  }
  function afterSwap(event) {
    var root = event.target;
    if (!root || !root.isConnected || !root.hasAttribute || root.id === "htmx-error") { return; }
    var active = document.activeElement;
    if (!active || active === document.body) {
      var target = marked(root, "data-swap-focus");
      if (target) { target.focus(); }
    }
    var said = marked(root, "data-announce");
    if (said) { announce(said.getAttribute("data-announce")); }
  }
  return { afterSwap: afterSwap };
}());
document.addEventListener("htmx:afterSwap", sekishoSwapFocus.afterSwap);

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

// Consent: the boxes of a document marked data-must-read-to-end stay disabled until its text
// has been scrolled to the end. Only when this script runs; without it the boxes simply work,
// and the server checks the submission either way.
var sekishoConsent = (function () {
  function atEnd(region) {
    return region.scrollTop + region.clientHeight >= region.scrollHeight - 4;
  }
  function setBoxes(section, disabled) {
    section.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.disabled = disabled; });
    var hint = section.querySelector(".consent-scroll-hint");
    if (hint) { hint.hidden = !disabled; }
    syncRequiredCheckboxes(document);
  }
  function watch(section) {
    var region = section.querySelector(".consent-scroll");
    if (!region || section.hasAttribute("data-read-watched")) { return; }
    section.setAttribute("data-read-watched", "");
    // Already readable in full, or ticked before (the page came back with an error): nothing to wait for.
    if (atEnd(region) || section.querySelector("input[type=checkbox]:checked")) { return; }
    setBoxes(section, true);
    region.addEventListener("scroll", function onScroll() {
      if (atEnd(region)) {
        region.removeEventListener("scroll", onScroll);
        setBoxes(section, false);
      }
    }, { passive: true });
  }
  function setUp(root) {
    root.querySelectorAll("[data-must-read-to-end]").forEach(watch);
  }
  return { setUp: setUp };
}());
document.addEventListener("DOMContentLoaded", function () { sekishoConsent.setUp(document); });
document.addEventListener("htmx:afterSwap", function (event) { sekishoConsent.setUp(event.target); });
// A printed comparison table shows the unchanged sections too.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.compare-same").forEach(function (d) { d.open = true; });
});
// Application form: show only the fields the chosen kind uses (every field stays in the page
// without JavaScript, and the server ignores the ones a kind does not use).
var sekishoApplications = (function () {
  function sync(form) {
    var select = form.querySelector("[data-kind-select]");
    if (!select) { return; }
    form.querySelectorAll("[data-kinds]").forEach(function (part) {
      part.hidden = part.getAttribute("data-kinds").split(" ").indexOf(select.value) < 0;
    });
  }
  function setUp(root) {
    root.querySelectorAll("form[data-application-form]").forEach(function (form) {
      sync(form);
      form.addEventListener("change", function (event) {
        if (event.target.matches("[data-kind-select]")) { sync(form); }
      });
    });
  }
  return { setUp: setUp };
}());
document.addEventListener("DOMContentLoaded", function () { sekishoApplications.setUp(document); });
