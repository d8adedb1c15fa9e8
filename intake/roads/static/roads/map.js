/* Triage maps: Leaflet (vendored), tiles only when settings.MAP_TILE_URL is set.
   Without tiles the markers still show on a plain background and the table stays usable. */
(function () {
  "use strict";
  function init(el) {
    if (typeof L === "undefined") { return; }
    var cfg = JSON.parse(document.getElementById(el.dataset.config).textContent);
    var markers = cfg.markers || [];
    var map = L.map(el, { scrollWheelZoom: false });
    if (cfg.tile_url) {
      L.tileLayer(cfg.tile_url, { maxZoom: 19, attribution: cfg.tile_attribution || "" }).addTo(map);
    } else {
      el.classList.add("map-no-tiles");
    }
    var bounds = [];
    markers.forEach(function (m) {
      var marker = L.circleMarker([m.lat, m.lng], { radius: 8, color: "#0031d8", weight: 2, fillOpacity: 0.6 }).addTo(map);
      marker.bindPopup(m.url ? '<a href="' + m.url + '">' + m.label.replace(/</g, "&lt;") + "</a>" : m.label.replace(/</g, "&lt;"));
      bounds.push([m.lat, m.lng]);
    });
    if (bounds.length > 1) { map.fitBounds(bounds, { padding: [20, 20] }); }
    else if (bounds.length === 1) { map.setView(bounds[0], 17); }
    else { map.setView(cfg.center, 13); }
  }
  document.querySelectorAll("[data-map]").forEach(init);
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=report]").forEach(function (cb) { cb.checked = all.checked; });
    });
  }
  var tpl = document.getElementById("id_template");
  var msg = document.getElementById("id_message");
  var texts = document.getElementById("template-texts");
  if (tpl && msg && texts) {
    var map = JSON.parse(texts.textContent);
    tpl.addEventListener("change", function () { if (map[tpl.value]) { msg.value = map[tpl.value]; } });
  }
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
