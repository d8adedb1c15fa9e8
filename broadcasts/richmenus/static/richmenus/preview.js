/* A menu's page: the numbered tap areas over its image (positions through the CSSOM: CSP). */
(function () {
  "use strict";
  document.querySelectorAll(".richmenu-preview__area").forEach(function (el) {
    var d = el.dataset, w = parseFloat(d.width), h = parseFloat(d.height);
    el.style.left = (parseFloat(d.x) / w * 100) + "%";
    el.style.top = (parseFloat(d.y) / h * 100) + "%";
    el.style.width = (parseFloat(d.w) / w * 100) + "%";
    el.style.height = (parseFloat(d.h) / h * 100) + "%";
  });
})();
