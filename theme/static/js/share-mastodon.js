// The Mastodon share page: fill in the text from ?text=, then send the
// reader to https://<their server>/share?text=... when they press Share.
(function () {
  var form = document.querySelector("[data-mastodon-share]");
  if (!form) return;
  var params = new URLSearchParams(location.search);
  var text = form.elements.text, server = form.elements.instance;
  var error = document.getElementById("mastodon-error");
  if (params.get("text")) text.value = params.get("text");
  try { server.value = params.get("instance") || localStorage.getItem("mastodon-server") || ""; } catch (e) {}
  function go() {
    // Accept "mastodon.social", "https://mastodon.social/" or "@me@mastodon.social".
    var host = server.value.trim().replace(/^https?:\/\//i, "").replace(/^.*@/, "").replace(/\/.*$/, "").toLowerCase();
    if (!/^[^\s\/:?#]+\.[^\s\/:?#]+(:\d+)?$/.test(host)) {
      error.textContent = "Enter your server's domain, for example mastodon.social.";
      error.hidden = false;
      server.setAttribute("aria-invalid", "true");
      server.focus();
      return;
    }
    try { localStorage.setItem("mastodon-server", host); } catch (e) {}
    location.href = "https://" + host + "/share?text=" + encodeURIComponent(text.value);
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); go(); });
  if (params.get("instance")) go();
})();
