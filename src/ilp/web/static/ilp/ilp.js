/* ILP portal: the few behaviours that need a script (a static file, so a strict
   Content-Security-Policy without 'unsafe-inline' still allows it). */
(function () {
  "use strict";
  // Without this script the narrow layout shows the navigation open (see ilp.css: html.js).
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
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
