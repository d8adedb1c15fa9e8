/* Resident booking form: running fee total, dates of the chosen area only, no double submit. */
(function () {
  var form = document.getElementById("booking-form");
  var total = document.getElementById("fee-total");
  function update() {
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
    date.querySelectorAll("optgroup").forEach(function (group) {
      var show = !area.value || group.dataset.area === area.value;
      group.hidden = !show; group.disabled = !show;
    });
    var chosen = date.options[date.selectedIndex];
    if (chosen && chosen.dataset.area && chosen.dataset.area !== area.value) { date.value = ""; }
  }
  form.addEventListener("input", update);
  area.addEventListener("change", filterDates);
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit-booking");
    setTimeout(function () { button.disabled = true; }, 0);
  });
  update(); filterDates();
})();
