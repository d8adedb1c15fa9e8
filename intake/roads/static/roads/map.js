/* Triage pages: maps (Leaflet, vendored), the select-all box, reply templates, the copy
   button and the photo viewer. No inline script anywhere (the CSP allows none).
   Tiles only when settings.MAP_TILE_URL is set; the areas' boundaries and names are drawn
   as the base layer either way, so a city network without a tile server still shows where
   a report is. */
(function () {
  "use strict";

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function drawAreas(map, url, fit) {
    if (!url || !window.fetch) { return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features || !data.features.length) { return; }
        var layer = L.geoJSON(data, {
          style: { color: "#1a1a1c", weight: 2, dashArray: "4 3", fillColor: "#e8f1fe", fillOpacity: 0.35 },
          onEachFeature: function (feature, lyr) {
            lyr.bindTooltip(escapeHtml(feature.properties.name || ""), {
              permanent: true, direction: "center", className: "road-area-label"
            });
          }
        }).addTo(map);
        layer.bringToBack();
        if (fit) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      })
      .catch(function () { /* the markers and the table stay usable */ });
  }

  function initMap(el) {
    if (typeof L === "undefined") { return; }
    var cfg = JSON.parse(document.getElementById(el.dataset.config).textContent);
    var markers = cfg.markers || [];
    var map = L.map(el, { scrollWheelZoom: false });
    if (cfg.tile_url) {
      L.tileLayer(cfg.tile_url, { maxZoom: 18, attribution: cfg.tile_attribution || "" }).addTo(map);
    } else {
      el.classList.add("map-no-tiles");
    }
    var bounds = [];
    markers.forEach(function (m) {
      var marker = L.circleMarker([m.lat, m.lng], { radius: 8, color: "#0031d8", weight: 3, fillColor: "#0031d8", fillOpacity: 0.8 }).addTo(map);
      var label = escapeHtml(m.label);
      marker.bindPopup(m.url ? '<a href="' + escapeHtml(m.url) + '">' + label + "</a>" : label);
      bounds.push([m.lat, m.lng]);
    });
    if (bounds.length > 1) { map.fitBounds(bounds, { padding: [20, 20] }); }
    else if (bounds.length === 1) { map.setView(bounds[0], cfg.tile_url ? 17 : 13); }
    else { map.setView(cfg.center, 12); }
    drawAreas(map, cfg.areas_url, bounds.length === 0);
  }

  document.querySelectorAll("[data-map]").forEach(initMap);

  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=report]").forEach(function (cb) { cb.checked = all.checked; });
    });
  }

  var texts = document.getElementById("template-texts");
  if (texts) {
    var byId = JSON.parse(texts.textContent);
    document.querySelectorAll("form[data-template-form]").forEach(function (form) {
      var tpl = form.querySelector("select[name=template]");
      var msg = form.querySelector("textarea[name=message]");
      if (!tpl || !msg) { return; }
      tpl.addEventListener("change", function () { if (byId[tpl.value]) { msg.value = byId[tpl.value]; } });
    });
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      var status = document.getElementById(button.dataset.copy + "-status");
      if (!source || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (status) { status.textContent = button.dataset.copied || ""; }
      });
    });
  });

  var viewer = document.getElementById("photo-viewer");
  if (viewer && viewer.showModal) {
    document.querySelectorAll("a[data-viewer]").forEach(function (link) {
      link.addEventListener("click", function (ev) {
        ev.preventDefault();
        document.getElementById("photo-viewer-img").src = link.href;
        viewer.showModal();
      });
    });
  }
})();
