/* Product page: gallery thumbnails, the variant picker with its
   back-in-stock form, and the header's cart count after an htmx add-to-cart.
   Without JavaScript the thumbnails open the full image, the <select> of
   variants is posted as it is, and the back-in-stock form shows whenever an
   option is sold out, with its own choice of sold-out options. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  function initGallery() {
    var main = document.querySelector("[data-gallery-main]");
    if (!main) {
      return;
    }
    var thumbs = document.querySelectorAll("[data-gallery-thumb]");
    thumbs.forEach(function (thumb) {
      thumb.addEventListener("click", function (event) {
        event.preventDefault();
        main.src = thumb.getAttribute("href");
        main.alt = thumb.getAttribute("data-alt") || main.alt;
        thumbs.forEach(function (other) {
          other.classList.toggle("is-active", other === thumb);
          if (other === thumb) {
            other.setAttribute("aria-current", "true");
          } else {
            other.removeAttribute("aria-current");
          }
        });
      });
    });
  }

  function initVariants() {
    var dataNode = document.getElementById("variant-data");
    var select = document.querySelector("[data-variant-select]");
    if (!dataNode || !select) {
      return;
    }
    var variants = {};
    JSON.parse(dataNode.textContent).forEach(function (variant) {
      variants[String(variant.id)] = variant;
    });
    var price = document.querySelector("[data-variant-price]");
    var compare = document.querySelector("[data-variant-compare]");
    var stock = document.querySelector("[data-variant-stock]");
    var quantity = document.querySelector("[data-variant-quantity]");
    var button = document.querySelector("[data-add-to-cart]");
    var alert = document.querySelector("[data-stock-alert]");
    var alertVariant = document.querySelector("[data-stock-alert-variant]");
    var alertDone = document.querySelector("[data-stock-alert-done]");
    var alertSubmit = document.querySelector("[data-stock-alert-submit]");
    var subscribedNode = document.getElementById("stock-alert-subscribed");
    var subscribed = subscribedNode ? JSON.parse(subscribedNode.textContent).map(String) : [];

    function showStockAlert(variant) {
      if (!alert) {
        return;
      }
      var soldOut = variant.available < 1;
      alert.classList.toggle("is-dormant", !soldOut);
      if (!soldOut) {
        return;
      }
      if (alertVariant) {
        alertVariant.value = String(variant.id);
      }
      var onList = subscribed.indexOf(String(variant.id)) !== -1;
      if (alertDone) {
        alertDone.hidden = !onList;
      }
      if (alertSubmit) {
        alertSubmit.hidden = onList;
      }
    }

    function show(variant) {
      if (!variant) {
        return;
      }
      if (price) {
        price.textContent = variant.price;
      }
      if (compare) {
        compare.textContent = variant.compare_at;
        compare.hidden = !variant.compare_at;
      }
      if (stock) {
        stock.textContent = variant.status;
        stock.className = "stock-status stock-" + variant.level;
      }
      if (quantity) {
        quantity.max = String(Math.max(variant.available, 1));
        if (Number(quantity.value) > variant.available && variant.available > 0) {
          quantity.value = String(variant.available);
        }
      }
      if (button) {
        button.disabled = variant.available < 1;
      }
      showStockAlert(variant);
    }

    select.addEventListener("change", function () {
      show(variants[select.value]);
    });
    show(variants[select.value]);
  }

  /* The add-to-cart form posts with htmx (kampung.js moves the header's cart
     badge on the response's shop:cart-updated event). */
  function initAddToCartRefusals() {
    if (!document.querySelector("form.add-to-cart[data-cart-url]")) {
      return;
    }
    // A refusal (sold out, too many) answers 4xx with its reason: show it
    // where the confirmation would have gone.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var detail = event.detail;
      var status = detail.xhr ? detail.xhr.status : 0;
      if (detail.target && detail.target.id === "cart-add-result" && status >= 400 && status < 500) {
        detail.shouldSwap = true;
        detail.isError = false;
      }
    });
  }

  ready(function () {
    initGallery();
    initVariants();
    initAddToCartRefusals();
  });
})();
