/* Presentation mode of the territory portrait: one slide (section.atlas-slide) per screen, full screen
   when the browser allows it, keyboard navigation. Keys: P enters/leaves, ArrowRight/PageDown/Space
   next, ArrowLeft/PageUp previous, Home/End, Escape leaves. Opened directly by presentation=1 in the
   URL (the deck then carries data-presentation="1"). Entering and leaving replace the URL with the
   query strings the server wrote (dashboard/pages/portrait.py: "present" and "normal"): the browser
   never builds a query string. Every slide fits the screen by its style (presentation.css). */
(function () {
  "use strict";
  var index = 0;
  var urls = null;            // {present: "?…", normal: "?…"} from the server
  var autoEntered = false;

  function deck() { return document.getElementById("portrait-deck"); }
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

  function setQuery(search) {
    if (typeof search !== "string" || search.charAt(0) !== "?" || search === window.location.search) { return; }
    window.history.replaceState(window.history.state, "", window.location.pathname + search + window.location.hash);
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
  }

  function enter(opts) {
    if (!slides().length || presenting()) { return; }
    document.body.classList.add("atlas-presenting");
    show(0);
    if (urls) { setQuery(urls.present); }
    if (opts && opts.fullscreen === false) { return; }
    var el = document.documentElement;
    if (el.requestFullscreen) {
      try {
        var pr = el.requestFullscreen();
        if (pr && pr.catch) { pr.catch(function () { /* refused (no user gesture, headless): stay windowed */ }); }
      } catch (e) { /* ignore */ }
    }
  }

  function leave() {
    if (!presenting()) { return; }
    document.body.classList.remove("atlas-presenting");
    slides().forEach(function (el) { el.classList.remove("atlas-active"); el.removeAttribute("aria-hidden"); });
    var c = document.getElementById("atlas-slide-counter");
    if (c) { c.remove(); }
    if (urls) { setQuery(urls.normal); }
    if (document.fullscreenElement && document.exitFullscreen) {
      try { var pr = document.exitFullscreen(); if (pr && pr.catch) { pr.catch(function () {}); } } catch (e) {}
    }
  }

  // presentation=1 in the URL: enter once the deck is on the page (no user gesture: no full screen).
  function autoEnter() {
    var d = deck();
    if (autoEntered || !d || d.getAttribute("data-presentation") !== "1" || !slides().length) { return; }
    autoEntered = true;
    enter({fullscreen: false});
  }

  window.atlasPresentation = {
    enter: enter, leave: leave, show: show, active: presenting,
    current: function () { return index; },
    urls: function (u) { if (u && typeof u === "object") { urls = u; } autoEnter(); }
  };

  new MutationObserver(function () { if (!autoEntered) { autoEnter(); } })
    .observe(document.documentElement, {childList: true, subtree: true});

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
