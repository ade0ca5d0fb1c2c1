/* The Rewards page's "Share" button: the phone's share sheet where the
   browser has one (the Web Share API); hidden otherwise, when the message
   can still be copied or selected by hand. */
(function () {
  "use strict";
  if (!navigator.share) {
    return;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-share-text]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-share-text"));
      if (!field) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.share({ text: field.value }).catch(function () {
          /* Dismissed: nothing to do. */
        });
      });
    });
  });
})();
