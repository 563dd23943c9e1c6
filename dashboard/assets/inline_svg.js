/* Inline SVG written by the server (dashboard/components/svg_map.py, svg_chart.py): Dash's HTML
 * components have no SVG elements, so the markup travels in the attribute data-atlas-svg and is set
 * here as the element's content, before the browser paints (mutation observers run first). The
 * markup is made on the server from escaped text only. */
(function () {
  "use strict";
  function fill(root) {
    var els = (root.querySelectorAll ? root : document).querySelectorAll("[data-atlas-svg]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var svg = el.getAttribute("data-atlas-svg");
      if (el.__atlasSvg !== svg) {
        el.__atlasSvg = svg;
        el.innerHTML = svg;
      }
    }
  }
  var observer = new MutationObserver(function (mutations) {
    for (var i = 0; i < mutations.length; i++) {
      var m = mutations[i];
      if (m.type === "attributes" || m.addedNodes.length) { fill(document); return; }
    }
  });
  function start() {
    fill(document);
    observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                     attributeFilter: ["data-atlas-svg"]});
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
