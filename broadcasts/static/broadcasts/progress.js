/* Broadcast page: poll the progress JSON while 配信中, then reload once it ends. */
(function () {
  "use strict";
  var box = document.getElementById("progress");
  // The bar's width comes from data-percent: the CSP allows no inline style attribute.
  var initial = document.getElementById("p-bar");
  if (initial && initial.dataset.percent) initial.style.width = initial.dataset.percent + "%";
  if (!box || box.dataset.live !== "1") return;
  var url = box.dataset.url;
  function set(id, value) { var el = document.getElementById(id); if (el) el.textContent = value; }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        set("p-status", d.status); set("p-batches-done", d.batches_done); set("p-batches-failed", d.batches_failed);
        set("p-batches-total", d.batches_total); set("p-reached", d.recipients_reached);
        var bar = document.getElementById("p-bar");
        if (bar && d.batches_total) bar.style.width = Math.round(100 * (d.batches_done + d.batches_failed) / d.batches_total) + "%";
        if (d.finished) { window.location.reload(); } else { setTimeout(tick, 1000); }
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 500);
})();
