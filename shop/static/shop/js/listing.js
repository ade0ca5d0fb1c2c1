/* Listing pages: on a phone the filters start folded, so the products come
   first (without JavaScript the panel simply stays open). */
(function () {
  "use strict";
  var panel = document.querySelector("[data-filters-panel]");
  if (!panel || panel.hasAttribute("data-filters-active")) {
    return;
  }
  if (window.matchMedia && window.matchMedia("(max-width: 56rem)").matches) {
    panel.removeAttribute("open");
  }
})();
