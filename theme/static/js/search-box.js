// The header search box appears only when JavaScript runs; without it the
// header's "Search" link goes to the search page.
(function () {
  var box = document.querySelector("[data-search-box]");
  var link = document.querySelector("[data-search-link]");
  if (!box) return;
  box.hidden = false;
  if (link) link.hidden = true;
})();
