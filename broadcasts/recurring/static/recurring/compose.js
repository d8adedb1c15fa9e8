// The compose form shows only the fields the chosen 繰り返し uses (all of them without script).
(function () {
  "use strict";
  var form = document.getElementById("series-form");
  if (!form) { return; }
  function update() {
    var chosen = form.querySelector("input[name=frequency]:checked");
    var value = chosen ? chosen.value : "";
    form.querySelectorAll("[data-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for").split(" ").indexOf(value) < 0;
    });
    form.querySelectorAll(".area-plan").forEach(function (plan) {
      var on = plan.querySelector("input[type=checkbox][name$='-on']");
      var body = plan.querySelector(".area-plan__body");
      if (on && body) { body.hidden = !on.checked; }
    });
  }
  form.addEventListener("change", update);
  update();
  var errors = document.getElementById("form-errors") || document.getElementById("preview");
  if (errors) { errors.focus(); }
})();
