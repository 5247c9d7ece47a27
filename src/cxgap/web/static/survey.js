// cxgap survey pages: a little help on top of plain forms (they work without it).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  var form = document.querySelector("form.survey");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    // One click is enough (the server is idempotent too): stop further clicks
    // once the browser has taken this one's data.
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
});
