// Shared page behaviour for every portal page (loaded by templates/base.html; no inline script).
"use strict";

// A table wider than the screen scrolls inside its .table-wrap: keyboard users must be able to
// reach and scroll it (WCAG 2.1.1), so a wrap that overflows becomes a focusable, named region.
// One that fits stays out of the tab order.
(function () {
  function label(wrap) {
    const caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    const labelled = wrap.closest("[aria-labelledby]");
    const heading = labelled && document.getElementById(labelled.getAttribute("aria-labelledby"));
    if (heading) return heading.textContent.trim();
    const h1 = document.querySelector("h1");
    return h1 ? h1.textContent.trim() : document.title;
  }

  function update() {
    for (const wrap of document.querySelectorAll(".table-wrap")) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (!wrap.hasAttribute("aria-label")) wrap.setAttribute("aria-label", label(wrap));
        wrap.classList.add("table-wrap--scrolls");
      } else if (wrap.classList.contains("table-wrap--scrolls")) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.classList.remove("table-wrap--scrolls");
      }
    }
  }

  let pending = null;
  function later() {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(update);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
  window.addEventListener("resize", later);
  if ("ResizeObserver" in window) {
    const observer = new ResizeObserver(later);
    document.addEventListener("DOMContentLoaded", function () {
      for (const wrap of document.querySelectorAll(".table-wrap")) observer.observe(wrap);
    });
  }
})();
