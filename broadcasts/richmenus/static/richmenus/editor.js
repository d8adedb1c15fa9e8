/* Rich-menu builder: draw tap areas by dragging on the image, or add them with the keyboard
   and type x / y / width / height; each area's action (言葉を送る, 手続きを始める, ページを開く,
   メニューを切り替える). The areas go to the server as JSON in the hidden "areas" field; the
   server checks every rule again. No inline script or style attribute (CSP): positions are
   set through the CSSOM, the uploaded image is previewed as a data: URL. */
(function () {
  "use strict";
  var form = document.getElementById("menu-form");
  var editor = document.getElementById("richmenu-editor");
  if (!form || !editor) return;
  var canvas = document.getElementById("richmenu-canvas");
  var list = document.getElementById("area-list");
  var hidden = form.querySelector("input[name=areas]");
  var fileInput = form.querySelector("input[type=file][name=image]");
  var addButton = document.getElementById("add-area");
  var sizeNote = document.getElementById("size-note");
  var words = document.getElementById("richmenu-words").dataset;
  var flows = JSON.parse(document.getElementById("richmenu-flows").textContent);
  var targets = JSON.parse(document.getElementById("richmenu-targets").textContent);
  var areas = JSON.parse(document.getElementById("richmenu-areas").textContent) || [];
  var MAX = 20;
  var size = { w: parseInt(editor.dataset.width, 10) || 0, h: parseInt(editor.dataset.height, 10) || 0 };
  var img = null;
  var draft = null;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }
  function save() { hidden.value = JSON.stringify(areas); }

  function showImage(src, w, h) {
    size = { w: w, h: h };
    if (!img) {
      img = document.createElement("img");
      img.alt = "";
      img.draggable = false;
      canvas.insertBefore(img, canvas.firstChild);
    }
    img.src = src;
    var empty = document.getElementById("canvas-empty");
    if (empty) empty.hidden = true;
    sizeNote.textContent = fmt(words.size, { w: w, h: h });
    render();
  }

  if (editor.dataset.imageUrl && size.w) showImage(editor.dataset.imageUrl, size.w, size.h);

  if (fileInput) {
    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onload = function () {
        var probe = new Image();
        probe.onload = function () { showImage(reader.result, probe.naturalWidth, probe.naturalHeight); };
        probe.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }

  // -- drawing ----------------------------------------------------------------------------
  function scale() { return size.w && canvas.clientWidth ? size.w / canvas.clientWidth : 1; }
  function point(event) {
    var box = canvas.getBoundingClientRect();
    var s = scale();
    var x = Math.round((event.clientX - box.left) * s);
    var y = Math.round((event.clientY - box.top) * s);
    return { x: Math.max(0, Math.min(size.w, x)), y: Math.max(0, Math.min(size.h, y)) };
  }
  canvas.addEventListener("pointerdown", function (event) {
    if (!img || !size.w || areas.length >= MAX || event.target.closest(".richmenu-area")) return;
    event.preventDefault();
    var start = point(event);
    draft = { start: start, el: document.createElement("span") };
    draft.el.className = "richmenu-area richmenu-area--draft";
    canvas.appendChild(draft.el);
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!draft) return;
    var p = point(event);
    draft.rect = {
      x: Math.min(draft.start.x, p.x), y: Math.min(draft.start.y, p.y),
      width: Math.abs(p.x - draft.start.x), height: Math.abs(p.y - draft.start.y)
    };
    place(draft.el, draft.rect);
  });
  function finish() {
    if (!draft) return;
    var rect = draft.rect;
    draft.el.remove();
    draft = null;
    if (rect && rect.width >= 10 && rect.height >= 10) add(rect);
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  function place(el, a) {
    if (!size.w) return;
    el.style.left = (a.x / size.w * 100) + "%";
    el.style.top = (a.y / size.h * 100) + "%";
    el.style.width = (a.width / size.w * 100) + "%";
    el.style.height = (a.height / size.h * 100) + "%";
  }

  function add(rect) {
    if (areas.length >= MAX) { sizeNote.textContent = words.max; return; }
    var w = size.w || 2500, h = size.h || 843;
    rect = rect || { x: 0, y: 0, width: Math.round(w / 3), height: Math.round(h / 2) };
    areas.push({ x: rect.x, y: rect.y, width: rect.width, height: rect.height, label: "", kind: "" });
    render();
    sizeNote.textContent = fmt(words.added, { n: areas.length });
    var first = list.querySelector("li:last-child select");
    if (first) first.focus();
  }
  addButton.addEventListener("click", function () { add(null); });

  // -- the list of areas (the keyboard way) ------------------------------------------------
  function field(li, index, key, label, type, value) {
    var id = "area-" + index + "-" + key;
    var wrap = document.createElement("div");
    wrap.className = "form-field richmenu-field richmenu-field--" + key;
    var lab = document.createElement("label");
    lab.htmlFor = id;
    lab.textContent = label;
    var input = document.createElement("input");
    input.id = id;
    input.type = type;
    if (type === "number") { input.min = "0"; input.step = "1"; input.inputMode = "numeric"; }
    input.value = value === undefined || value === null ? "" : value;
    input.addEventListener("input", function () {
      areas[index][key] = type === "number" ? (input.value === "" ? "" : parseInt(input.value, 10)) : input.value;
      save();
      var box = canvas.querySelector("[data-index='" + index + "']");
      if (box && type === "number") place(box, areas[index]);
    });
    wrap.appendChild(lab);
    wrap.appendChild(input);
    li.appendChild(wrap);
    return input;
  }
  function select(li, index, key, label, options, value, onChange) {
    var id = "area-" + index + "-" + key;
    var wrap = document.createElement("div");
    wrap.className = "form-field richmenu-field";
    var lab = document.createElement("label");
    lab.htmlFor = id;
    lab.textContent = label;
    var sel = document.createElement("select");
    sel.id = id;
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = words.choose;
    sel.appendChild(blank);
    options.forEach(function (o) {
      var opt = document.createElement("option");
      opt.value = String(o[0]);
      opt.textContent = o[1];
      if (String(o[0]) === String(value === undefined || value === null ? "" : value)) opt.selected = true;
      sel.appendChild(opt);
    });
    sel.addEventListener("change", function () { areas[index][key] = key === "menu" ? parseInt(sel.value, 10) || null : sel.value; save(); if (onChange) onChange(); });
    wrap.appendChild(lab);
    wrap.appendChild(sel);
    li.appendChild(wrap);
    return sel;
  }

  function render() {
    canvas.querySelectorAll(".richmenu-area").forEach(function (el) { el.remove(); });
    list.textContent = "";
    areas.forEach(function (a, index) {
      var box = document.createElement("span");
      box.className = "richmenu-area";
      box.dataset.index = String(index);
      box.textContent = String(index + 1);
      box.setAttribute("aria-hidden", "true");
      place(box, a);
      canvas.appendChild(box);

      var li = document.createElement("li");
      li.className = "richmenu-areas__item";
      var fs = document.createElement("fieldset");
      var legend = document.createElement("legend");
      legend.textContent = words.area + " " + (index + 1);
      fs.appendChild(legend);
      var grid = document.createElement("div");
      grid.className = "richmenu-bounds";
      field(grid, index, "x", words.x, "number", a.x);
      field(grid, index, "y", words.y, "number", a.y);
      field(grid, index, "width", words.w, "number", a.width);
      field(grid, index, "height", words.h, "number", a.height);
      fs.appendChild(grid);
      field(fs, index, "label", words.label, "text", a.label);
      var detail = document.createElement("div");
      select(fs, index, "kind", words.kind,
        [["message", words.message], ["flow", words.flow], ["uri", words.uri], ["switch", words["switch"]]],
        a.kind, function () { renderDetail(detail, index); });
      fs.appendChild(detail);
      renderDetail(detail, index);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-small";
      remove.textContent = words.remove + " (" + (index + 1) + ")";
      remove.addEventListener("click", function () { areas.splice(index, 1); render(); addButton.focus(); });
      fs.appendChild(remove);
      li.appendChild(fs);
      list.appendChild(li);
    });
    addButton.disabled = areas.length >= MAX;
    save();
  }

  function renderDetail(detail, index) {
    var a = areas[index];
    detail.textContent = "";
    if (a.kind === "message") field(detail, index, "text", words.text, "text", a.text);
    else if (a.kind === "flow") select(detail, index, "flow", words.flowname, flows.map(function (f) { return [f.key, f.label]; }), a.flow);
    else if (a.kind === "uri") field(detail, index, "uri", words.url, "url", a.uri);
    else if (a.kind === "switch") select(detail, index, "menu", words.target, targets.map(function (t) { return [t.pk, t.name]; }), a.menu);
  }

  form.addEventListener("submit", save);
  window.addEventListener("resize", function () {
    canvas.querySelectorAll(".richmenu-area[data-index]").forEach(function (el) { place(el, areas[parseInt(el.dataset.index, 10)]); });
  });
  render();
})();
