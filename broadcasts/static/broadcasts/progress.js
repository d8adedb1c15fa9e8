/* Broadcast page: while 配信中, poll the progress JSON and update the bar, the wording and
   the status badge in place (never a reload); when it ends, show the outcome and what to do
   (the 再送 button of a 一部失敗 is on the page already, hidden). No inline script: a static
   file (CSP). */
(function () {
  "use strict";
  var box = document.getElementById("progress");
  // The bar is a <progress> element (its value attribute, not an inline style: CSP).
  if (!box || box.dataset.live !== "1") return;
  var url = box.dataset.url;
  function set(id, value) {
    var el = document.getElementById(id);
    if (el && value !== undefined) el.textContent = value || "—";
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("progress " + r.status);
        return r.json();
      })
      .then(function (d) {
        set("p-headline", d.headline);
        set("p-reached", d.reached);
        set("p-total", d.total);
        set("p-started", d.started_at);
        set("p-finished", d.finished_at);
        var advice = document.getElementById("p-advice");
        if (advice) { advice.textContent = d.advice || ""; advice.hidden = !d.advice; }
        var bar = document.getElementById("p-bar");
        if (bar) {
          if (d.percent === null || d.percent === undefined) { bar.removeAttribute("value"); bar.textContent = ""; }
          else { bar.value = d.percent; bar.textContent = d.percent + "%"; }
        }
        box.className = box.className.replace(/progress-card--\S+/, "progress-card--" + d.phase);
        var badge = document.getElementById("status-badge");
        if (badge) {
          badge.textContent = d.status;
          badge.className = badge.className.replace(/status-badge--\S+/, "status-badge--" + d.status_code);
        }
        document.querySelectorAll("[data-show-when]").forEach(function (el) {
          el.hidden = el.dataset.showWhen.split(" ").indexOf(d.phase) < 0;
        });
        if (!d.finished) setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 500);
})();
