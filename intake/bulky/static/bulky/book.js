/* The residents' booking form: running fee total, dates of the chosen area only, a typed
   address or phone selects "new" over "previous", and no double submit. */
(function () {
  "use strict";
  var form = document.getElementById("booking-form");
  if (!form) { return; }
  var total = document.getElementById("fee-total");
  function update() {
    if (!total) { return; }
    var sum = 0;
    form.querySelectorAll("input[data-fee]").forEach(function (input) {
      var n = parseInt(input.value, 10);
      if (n > 0) { sum += n * parseInt(input.dataset.fee, 10); }
    });
    total.textContent = sum.toLocaleString("ja-JP");
  }
  var area = document.getElementById("area");
  var date = document.getElementById("collection_date");
  function filterDates() {
    if (!area || !date) { return; }
    date.querySelectorAll("optgroup").forEach(function (group) {
      var show = !area.value || group.dataset.area === area.value;
      group.hidden = !show; group.disabled = !show;
    });
    var chosen = date.options[date.selectedIndex];
    if (chosen && chosen.dataset.area && chosen.dataset.area !== area.value) { date.value = ""; }
  }
  ["address", "phone"].forEach(function (name) {
    var input = document.getElementById(name);
    var fresh = document.getElementById(name + "_choice_new");
    if (input && fresh) {
      input.addEventListener("input", function () { if (input.value) { fresh.checked = true; } });
    }
  });
  form.addEventListener("input", update);
  if (area) { area.addEventListener("change", filterDates); }
  update(); filterDates();
})();

(function () {
  "use strict";
  /* Any form marked data-once: disable its submit buttons once sent (a double tap books once
     anyway: the server keys the booking by the form's token). */
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
