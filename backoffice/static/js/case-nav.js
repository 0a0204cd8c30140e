// The case page's section menu: marks the group in view (aria-current), so the coordinator sees where they are.
// Loaded as a file (the CSP forbids inline scripts); the page works the same without it.
(function () {
  "use strict";
  var nav = document.querySelector(".case-nav");
  if (!nav || !("IntersectionObserver" in window)) return;
  var links = {};
  nav.querySelectorAll("a[href^='#']").forEach(function (link) { links[link.getAttribute("href").slice(1)] = link; });
  var visible = {};
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) { visible[entry.target.id] = entry.isIntersecting; });
    var current = Object.keys(links).find(function (id) { return visible[id]; });
    Object.keys(links).forEach(function (id) {
      if (id === current) links[id].setAttribute("aria-current", "true");
      else links[id].removeAttribute("aria-current");
    });
  }, { rootMargin: "-60px 0px -55% 0px" });
  Object.keys(links).forEach(function (id) {
    var group = document.getElementById(id);
    if (group) observer.observe(group);
  });
})();
