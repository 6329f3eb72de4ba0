// The search page: Pagefind's UI over every shard of the index (plugins/search:
// the first shard's bundle, the others merged in), labelled, and primed from ?q=.
// With shards, only the pages of shards.json's filter (kind:post) are asked
// for, which leaves out each shard's vocabulary page (plugins/search/
// vocabulary.py); css/search.css hides Pagefind's filter panel.
(function () {
  var root = document.querySelector("[data-search]");
  if (!root || !window.PagefindUI) return;
  var base = root.getAttribute("data-bundle");

  function start(bundles, filter) {
    if (!bundles.length) return;  // no post yet, so no index
    var ui = new PagefindUI({
      element: "#search", bundlePath: base + bundles[0],
      mergeIndex: bundles.slice(1).map(function (name) { return { bundlePath: base + name }; }),
      showSubResults: false, showImages: false, resetStyles: false,
      // Arriving from the header's Search link, the box is ready to type in: one tap to search.
      autofocus: !new URLSearchParams(location.search).get("q")
    });
    if (filter) ui.triggerFilters(filter);
    var query = new URLSearchParams(location.search).get("q");
    var input = root.querySelector("input");
    if (input) {
      input.id = "search-input";
      var label = document.createElement("label");
      label.htmlFor = "search-input";
      label.className = "visually-hidden";
      label.textContent = "Search the posts";
      input.parentNode.insertBefore(label, input);
    }
    if (query) ui.triggerSearch(query);
  }

  fetch(base + "shards.json")
    .then(function (reply) { return reply.json(); })
    .then(function (listing) { start(listing.bundles, listing.filter); })
    .catch(function () { start([""]); });  // one index, in Pagefind's standard place
})();
