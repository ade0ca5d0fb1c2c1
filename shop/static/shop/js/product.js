/* Product page: gallery thumbnails and the variant picker. Without
   JavaScript the thumbnails open the full image and the <select> of variants
   is posted as it is. */
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
    }

    select.addEventListener("change", function () {
      show(variants[select.value]);
    });
    show(variants[select.value]);
  }

  ready(function () {
    initGallery();
    initVariants();
  });
})();
