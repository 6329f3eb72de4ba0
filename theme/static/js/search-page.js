// The search page: Pagefind's UI, labelled, and primed from ?q= (the header box).
(function () {
  var root = document.querySelector("[data-search]");
  if (!root || !window.PagefindUI) return;
  var ui = new PagefindUI({
    element: "#search", bundlePath: root.getAttribute("data-bundle"),
    showSubResults: false, showImages: false, resetStyles: false, autofocus: false
  });
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
})();
