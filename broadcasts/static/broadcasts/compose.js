/* Compose page: bubble editors, LINE-style preview, live reach estimate (fetch), the
   予約日時 field shown only for 予約配信 with what approval will do. Every element is
   optional (the emergency page has no segment, reach estimate or timing choice); without
   JavaScript the page still works and the server checks everything. */
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  if (!form) return;
  var estimateUrl = form.dataset.estimateUrl;
  var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var reachEl = document.getElementById("reach-value");
  var gated = Array.prototype.slice.call(document.querySelectorAll("[data-needs-minimum]"));
  var preview = document.getElementById("line-preview-messages");
  var segmentBox = document.getElementById("segment-options");
  var pending = null;
  var seq = 0;

  function checked(name) {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=" + name + "]:checked")).map(function (el) { return el.value; });
  }
  // Admin-defined dimensions: one checkbox group "dim_<id>" each -> {"<id>": [option ids]}.
  function dimensions() {
    var out = {};
    Array.prototype.slice.call(form.querySelectorAll("input[name^=dim_]:checked")).forEach(function (el) {
      var id = el.name.slice(4);
      (out[id] = out[id] || []).push(Number(el.value));
    });
    return out;
  }
  function audience() {
    var el = form.querySelector("input[name=audience]:checked");
    return el ? el.value : "all";
  }
  function setGate(below) {
    gated.forEach(function (btn) {
      btn.disabled = below;
      if (below) btn.setAttribute("aria-disabled", "true"); else btn.removeAttribute("aria-disabled");
    });
  }
  function estimate() {
    if (!reachEl) return;
    if (!estimateUrl) { reachEl.textContent = "—"; return; }
    var ex = form.querySelector("select[name=exclude_broadcast]");
    var body = {
      audience: audience(),
      age_bands: checked("age_bands"),
      area_ids: checked("area_ids").map(Number),
      interest_ids: checked("interest_ids").map(Number),
      dimensions: dimensions(),
      exclude_broadcast_id: ex && ex.value ? Number(ex.value) : null
    };
    var mine = ++seq;
    reachEl.setAttribute("aria-busy", "true");
    fetch(estimateUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) throw new Error("estimate " + r.status);
      return r.json();
    }).then(function (data) {
      if (mine !== seq) return;
      reachEl.textContent = data.text;
      reachEl.classList.toggle("reach--below", !!data.below_minimum);
      reachEl.dataset.below = data.below_minimum ? "1" : "0";
      reachEl.removeAttribute("aria-busy");
      var note = document.getElementById("reach-note");
      if (note) note.textContent = data.note || "";
      // The estimate is noisy: it never blocks submitting (the exact check at submit decides).
      setGate(false);
    }).catch(function () { reachEl.removeAttribute("aria-busy"); reachEl.textContent = "—"; });
  }
  function schedule() {
    if (pending) clearTimeout(pending);
    pending = setTimeout(estimate, 150);
  }
  function toggleSegment() {
    if (segmentBox) segmentBox.hidden = audience() !== "segment";
  }
  var scheduleField = document.getElementById("schedule-field");
  var outcome = document.getElementById("timing-outcome");
  function toggleSchedule() {
    var chosen = form.querySelector("input[name=timing]:checked");
    if (!chosen || !scheduleField) return;
    var scheduled = chosen.value === "scheduled";
    scheduleField.hidden = !scheduled;
    var input = scheduleField.querySelector("input");
    if (input) input.required = scheduled;
    if (outcome && outcome.dataset.now) {
      var strong = document.createElement("strong");
      strong.textContent = scheduled ? outcome.dataset.scheduled : outcome.dataset.now;
      outcome.replaceChildren(strong);
    }
  }
  function renderPreview() {
    if (!preview) return;
    preview.replaceChildren();
    form.querySelectorAll(".bubble-editor").forEach(function (ed) {
      var type = ed.querySelector("select.bubble-type").value;
      if (!type) return;
      var row = document.createElement("div");
      row.className = "line-msg";
      var icon = document.createElement("span");
      icon.className = "line-msg__icon"; icon.setAttribute("aria-hidden", "true"); icon.textContent = "市";
      row.appendChild(icon);
      if (type === "text") {
        var text = ed.querySelector("textarea").value;
        if (!text.trim()) return;
        var b = document.createElement("div"); b.className = "line-msg__bubble"; b.textContent = text;
        row.appendChild(b);
      } else {
        var file = ed.querySelector("input[type=file]");
        var img = document.createElement("img"); img.className = "line-msg__image"; img.alt = ed.dataset.imageAlt || "";
        if (file && file.files && file.files[0]) img.src = URL.createObjectURL(file.files[0]);
        else if (ed.dataset.previewUrl) img.src = ed.dataset.previewUrl;
        else return;
        row.appendChild(img);
      }
      preview.appendChild(row);
    });
  }
  function syncEditors() {
    form.querySelectorAll(".bubble-editor").forEach(function (ed) {
      var type = ed.querySelector("select.bubble-type").value;
      ed.querySelector(".bubble-text").hidden = type !== "text";
      ed.querySelector(".bubble-image").hidden = type !== "image";
      var ta = ed.querySelector("textarea");
      var counter = ed.querySelector(".char-count span");
      if (counter && ta) counter.textContent = Array.from(ta.value).length;
    });
  }
  var addBtn = document.getElementById("add-bubble");
  if (addBtn) addBtn.hidden = !form.querySelector(".bubble-editor[hidden]");
  if (addBtn) addBtn.addEventListener("click", function () {
    var hidden = form.querySelector(".bubble-editor[hidden]");
    if (hidden) { hidden.hidden = false; hidden.querySelector("select.bubble-type").value = "text"; syncEditors(); hidden.querySelector("textarea").focus(); }
    if (!form.querySelector(".bubble-editor[hidden]")) addBtn.disabled = true;
  });
  form.addEventListener("change", function (e) {
    var t = e.target;
    if (t.name === "audience" || t.name === "age_bands" || t.name === "area_ids" || t.name === "interest_ids" || t.name === "exclude_broadcast" || (t.name || "").indexOf("dim_") === 0) {
      toggleSegment(); schedule();
    }
    if (t.name === "timing") toggleSchedule();
    syncEditors(); renderPreview();
  });
  form.addEventListener("input", function () { syncEditors(); renderPreview(); });
  // No submit guard: the server's exact check decides whether a segment reaches 50.
  toggleSegment(); toggleSchedule(); syncEditors(); renderPreview(); estimate();
})();
