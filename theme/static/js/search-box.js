// The header's search box appears only when JavaScript runs (where the CSS
// `scripting` media feature is unknown); css/main.css decides by the width
// whether the box or the Search link shows.
(function () {
  var box = document.querySelector("[data-search-box]");
  if (box) box.hidden = false;
})();
