/* Small progressive enhancements for the site layout. Everything here has a
   no-JavaScript fallback: the menu is simply open, the language form has a
   submit button, and menus are native <details> elements. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  ready(function () {
    // Collapsible navigation on small screens.
    var toggle = document.querySelector(".nav-toggle");
    var menu = document.getElementById("site-menu");
    if (toggle && menu) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", String(!open));
        menu.classList.toggle("is-open", !open);
      });
    }

    // Change the language as soon as one is picked.
    document.querySelectorAll("select.js-autosubmit").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) {
          select.form.submit();
        }
      });
    });

    // Close an open <details> menu on Escape or on a click elsewhere.
    function closeMenus(except) {
      document.querySelectorAll("details.menu[open]").forEach(function (details) {
        if (details !== except) {
          details.removeAttribute("open");
        }
      });
    }
    document.addEventListener("click", function (event) {
      closeMenus(event.target.closest ? event.target.closest("details.menu") : null);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        var open = document.querySelector("details.menu[open]");
        if (open) {
          open.removeAttribute("open");
          var summary = open.querySelector("summary");
          if (summary) {
            summary.focus();
          }
        }
      }
    });

    // "Copy" buttons next to read-only fields (API token keys).
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy-target"));
        if (!field) {
          return;
        }
        field.select();
        var done = function () {
          var status = document.getElementById(button.getAttribute("data-copy-status"));
          if (status) {
            status.textContent = button.getAttribute("data-copied-text") || "";
          }
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () {});
        } else {
          try {
            document.execCommand("copy");
            done();
          } catch (e) {
            /* The key stays selected for a manual copy. */
          }
        }
      });
    });

    // The header's cart badge follows every cart change made with htmx: the
    // response names the new count in its HX-Trigger event (shop:cart-updated).
    document.body.addEventListener("shop:cart-updated", function (event) {
      var count = event.detail ? Number(event.detail.count) : NaN;
      var link = document.querySelector("[data-cart-link]");
      if (isNaN(count) || !link) {
        return;
      }
      var badge = document.getElementById("cart-count");
      if (!badge) {
        badge = document.createElement("span");
        badge.id = "cart-count";
        badge.className = "badge";
        link.appendChild(badge);
      }
      badge.textContent = String(count);
      badge.hidden = count < 1;
    });

    // A refused htmx change (4xx) into a region marked data-htmx-show-errors
    // (the cart) answers with that region and the reason: swap it in place.
    // htmx leaves 4xx answers unswapped by default, so without this the reason
    // would be lost (and a page must never be replaced by a bare fragment).
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var detail = event.detail;
      var status = detail.xhr ? detail.xhr.status : 0;
      var target = detail.target;
      if (status >= 400 && status < 500 && target && target.closest &&
          target.closest("[data-htmx-show-errors]")) {
        detail.shouldSwap = true;
        detail.isError = false;
      }
    });

    // Select a read-only field's whole value when it gets focus.
    document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () {
        input.select();
      });
    });
  });
})();
