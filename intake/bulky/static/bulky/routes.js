/* Collection route sheet: the 印刷 button (no inline handler: the CSP allows no inline script). */
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
