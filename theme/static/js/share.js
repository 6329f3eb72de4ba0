// Share slot, progressive enhancement: the native Share button where the
// browser has one, and a Copy link button instead of the read-only field.
(function () {
  var slot = document.querySelector("[data-share]");
  if (!slot) return;
  var url = slot.getAttribute("data-share-url");
  var status = slot.querySelector("[data-share-status]");
  var native = slot.querySelector("[data-share-native]");
  var copy = slot.querySelector("[data-share-copy]");
  var fallback = slot.querySelector("[data-share-fallback]");
  function say(text) {
    status.textContent = "";
    setTimeout(function () { status.textContent = text; }, 50);
  }
  if (navigator.share) {
    native.hidden = false;
    native.querySelector("button").addEventListener("click", function () {
      navigator.share({ title: slot.getAttribute("data-share-title"), url: url }).catch(function () {});
    });
  }
  if (navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    fallback.hidden = true;
    copy.querySelector("button").addEventListener("click", function () {
      navigator.clipboard.writeText(url).then(function () {
        say("Link copied to the clipboard.");
      }, function () {
        fallback.hidden = false;
        fallback.open = true;
        var field = fallback.querySelector("input");
        field.focus();
        field.select();
        say("Could not copy. The link is selected: copy it with Ctrl+C or Command+C.");
      });
    });
  }
})();
