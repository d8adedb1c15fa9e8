/* 災害時モード: while a switch runs, poll its progress and update the bar in place. */
(function () {
  "use strict";
  var box = document.getElementById("switch-progress");
  if (!box) return;
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var status = document.getElementById("progress-status");
  function tick() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (d) {
        if (d.status === "none") return;
        bar.value = d.percent;
        bar.textContent = d.percent + "%";
        text.textContent = d.percent + "%";
        status.textContent = d.status_label;
        if (d.running) window.setTimeout(tick, 2000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  tick();
})();
