/* Presentation mode of the territory portrait: one slide (section.atlas-slide) per screen, full screen
   when the browser allows it, keyboard navigation. Keys: P enters/leaves, ArrowRight/PageDown/Space
   next, ArrowLeft/PageUp previous, Home/End, Escape leaves. */
(function () {
  "use strict";
  var index = 0;

  function slides() { return Array.prototype.slice.call(document.querySelectorAll("#portrait-deck .atlas-slide")); }
  function presenting() { return document.body.classList.contains("atlas-presenting"); }

  function counter() {
    var c = document.getElementById("atlas-slide-counter");
    if (!c) {
      c = document.createElement("div");
      c.id = "atlas-slide-counter";
      c.setAttribute("aria-live", "polite");
      document.body.appendChild(c);
    }
    return c;
  }

  function show(i) {
    var s = slides();
    if (!s.length) { return; }
    index = Math.max(0, Math.min(i, s.length - 1));
    s.forEach(function (el, k) {
      el.classList.toggle("atlas-active", k === index);
      el.setAttribute("aria-hidden", k === index ? "false" : "true");
    });
    counter().textContent = (index + 1) + " / " + s.length + "  ·  ← →  ·  Échap";
    s[index].scrollTop = 0;
    // Plotly graphs sized while hidden: let them re-measure.
    window.setTimeout(function () { window.dispatchEvent(new Event("resize")); }, 30);
  }

  function enter() {
    if (!slides().length || presenting()) { return; }
    document.body.classList.add("atlas-presenting");
    show(0);
    var el = document.documentElement;
    if (el.requestFullscreen) {
      try {
        var pr = el.requestFullscreen();
        if (pr && pr.catch) { pr.catch(function () { /* refused (headless, no gesture): stay windowed */ }); }
      } catch (e) { /* ignore */ }
    }
  }

  function leave() {
    if (!presenting()) { return; }
    document.body.classList.remove("atlas-presenting");
    slides().forEach(function (el) { el.classList.remove("atlas-active"); el.removeAttribute("aria-hidden"); });
    var c = document.getElementById("atlas-slide-counter");
    if (c) { c.remove(); }
    if (document.fullscreenElement && document.exitFullscreen) {
      try { var pr = document.exitFullscreen(); if (pr && pr.catch) { pr.catch(function () {}); } } catch (e) {}
    }
    window.setTimeout(function () { window.dispatchEvent(new Event("resize")); }, 30);
  }

  window.atlasPresentation = { enter: enter, leave: leave, show: show,
    current: function () { return index; }, active: presenting };

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    if (!presenting()) {
      if ((ev.key === "p" || ev.key === "P") && slides().length) { ev.preventDefault(); enter(); }
      return;
    }
    switch (ev.key) {
      case "ArrowRight": case "PageDown": case " ": case "Enter": ev.preventDefault(); show(index + 1); break;
      case "ArrowLeft": case "PageUp": case "Backspace": ev.preventDefault(); show(index - 1); break;
      case "Home": ev.preventDefault(); show(0); break;
      case "End": ev.preventDefault(); show(slides().length - 1); break;
      case "Escape": case "p": case "P": ev.preventDefault(); leave(); break;
      default: break;
    }
  });

  document.addEventListener("click", function (ev) {
    if (ev.target && ev.target.closest && ev.target.closest("#portrait-present")) { enter(); }
  });

  // Escape in real full screen is taken by the browser: leave presentation with it.
  document.addEventListener("fullscreenchange", function () {
    if (!document.fullscreenElement && presenting()) { leave(); }
  });
})();
