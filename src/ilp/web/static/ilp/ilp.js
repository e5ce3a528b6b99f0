/* ILP portal: every behaviour that needs a script. A static file, because the pages carry a
   strict Content-Security-Policy (script-src 'self', no 'unsafe-inline', no 'unsafe-eval'):
   templates hold no <script>, no on…= handler, no style= attribute, no <style> block, no
   hx-on and no htmx trigger filter ([…] is evaluated code). They mark elements with data-
   attributes instead, and this file acts on them by event delegation on the document, so
   fragments that htmx swaps in later work too:

     <select data-autosubmit>           submits its form when the choice changes
     <form data-confirm="Question?">    asks before submitting (cancel keeps the page); also
                                        on a form htmx posts (no hx-confirm beside it)
     <button data-confirm="Question?">  asks before its click submits (one form, many buttons)
     <button data-copy="element-id"     copies the element's value (input) or text, then
             data-done="Copied">        shows data-done as the button's label
     #redeem-form                       the renewal redemption's live seat sum
     <body data-scroll-hint="Text">      puts "Text" above every table wider than its box
                                        (columns hidden to the right, e.g. at 390 px)
     change of a name=pack checkbox,    tell htmx listeners with
     a settled #pack-results            hx-trigger="ilp-packs-changed from:body"
*/
(function () {
  "use strict";
  // Without this script the narrow layout shows the navigation open (see ilp.css: html.js).
  document.documentElement.classList.add("js");

  function packsChanged() {
    if (document.body) {
      document.body.dispatchEvent(new CustomEvent("ilp-packs-changed", { bubbles: true }));
    }
  }

  function redeemUpdate() {
    var form = document.getElementById("redeem-form");
    if (!form) return;
    var target = parseInt(form.dataset.target, 10), sum = 0;
    form.querySelectorAll("input[name=pack]:checked").forEach(function (box) {
      sum += parseInt(box.dataset.seats, 10);
    });
    var out = document.getElementById("seat-sum"), hint = document.getElementById("sum-hint");
    if (out) out.textContent = sum;
    if (hint) {
      hint.textContent = sum === target ? form.dataset.ok
        : (sum < target ? (target - sum) + " " + form.dataset.more
          : (sum - target) + " " + form.dataset.less);
    }
    var line = document.getElementById("sum-line");
    if (line) line.className = "seat-sum " + (sum === target ? "ok" : "off");
    var submit = document.getElementById("redeem-submit");
    if (submit) submit.disabled = sum !== target;
  }

  function copy(button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var isField = "value" in source && source.tagName !== "BUTTON";
    var text = isField ? source.value : source.textContent.trim();
    if (isField) source.select();
    var done = function () { if (button.dataset.done) button.textContent = button.dataset.done; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      if (!isField) {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      if (document.execCommand("copy")) done();
    }
  }

  // A table wider than its box hides columns to the right, with nothing to say so on a phone
  // (no scroll bar until touched): a line above it does, and goes when everything fits.
  function scrollHints() {
    var text = document.body && document.body.dataset.scrollHint;
    if (!text) return;
    document.querySelectorAll("main table").forEach(function (table) {
      var box = table;
      if (box.scrollWidth <= box.clientWidth + 1) {
        var wrap = table.parentElement && table.parentElement.closest(".table-wrap, .table-scroll");
        box = wrap && wrap.scrollWidth > wrap.clientWidth + 1 ? wrap : null;
      }
      var scroller = box || table.parentElement.closest(".table-wrap, .table-scroll") || table;
      var prev = scroller.previousElementSibling;
      var has = prev && prev.classList.contains("scroll-hint");
      if (box && !has) {
        var hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = text;
        scroller.parentNode.insertBefore(hint, scroller);
      } else if (!box && has) {
        prev.remove();
      }
    });
  }

  var hintsQueued = false;
  function queueScrollHints() {
    if (hintsQueued) return;
    hintsQueued = true;
    window.requestAnimationFrame(function () {
      hintsQueued = false;
      scrollHints();
    });
  }
  window.addEventListener("resize", queueScrollHints);
  window.addEventListener("load", queueScrollHints);
  // A <details> opening shows its table; "toggle" does not bubble, so listen while capturing.
  document.addEventListener("toggle", queueScrollHints, true);

  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.submit();
      return;
    }
    if (el.name === "pack") {
      redeemUpdate();
      packsChanged();
    }
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (button) {
      e.preventDefault();
      copy(button);
    }
  });

  document.addEventListener("htmx:afterSettle", function (e) {
    redeemUpdate();
    queueScrollHints();
    if (e.target && e.target.id === "pack-results") packsChanged();
  });

  document.addEventListener("DOMContentLoaded", function () {
    redeemUpdate();
    scrollHints();
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("sidenav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        nav.classList.toggle("open", open);
      });
    }
  });
})();
