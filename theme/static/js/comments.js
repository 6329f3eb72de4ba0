/* Comments, progressively: Reply links fill in "In reply to", the notice for a
   comment awaiting moderation shows only after posting, and comments approved
   since the page was built are added from the service's export. Without this
   script the form posts normally and the page is complete as of its build.
   (Posting in place is forms.js, as for the other forms.) */
(function () {
  "use strict";
  var section = document.getElementById("comments");
  if (!section) return;
  var note = section.querySelector(".comment-pending");
  if (note) note.classList.add(/[?&]comment=/.test(location.search) ? "is-shown" : "is-hidden");
  var form = section.querySelector(".comment-form");
  var parent = form && form.querySelector("[name=parent]");
  section.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-reply]");
    if (!link || !parent) return;
    parent.value = link.getAttribute("data-reply");
    form.querySelector("[name=body]").focus();
    event.preventDefault();
  });
  var url = section.getAttribute("data-export");
  if (!url || !window.fetch) return;
  fetch(url, { headers: { "Accept": "application/json" } }).then(function (r) {
    return r.ok ? r.json() : { comments: [] };
  }).then(function (data) {
    var list = section.querySelector(".comment-list");
    (data.comments || []).forEach(function (c) {
      if (document.getElementById("comment-" + c.id)) return;
      if (!list) {
        list = document.createElement("ol");
        list.className = "comment-list";
        section.insertBefore(list, section.querySelector(".comment-respond"));
      }
      var host = c.parent && document.getElementById("comment-" + c.parent);
      var target = list;
      if (host) {
        target = host.querySelector(":scope > .comment-replies");
        if (!target) { target = document.createElement("ol"); target.className = "comment-replies"; host.appendChild(target); }
      }
      target.appendChild(render(c));
    });
  }).catch(function () {});

  function render(c) {
    var li = el("li", "comment"); li.id = "comment-" + c.id;
    var card = el("article", "comment-card");
    var meta = el("header", "comment-meta");
    var name = el("b", "comment-author"); name.textContent = c.name;
    var link = el("a", "comment-link"); link.href = "#comment-" + c.id;
    var time = el("time"); time.dateTime = c.created_at; time.textContent = new Date(c.created_at).toLocaleString();
    link.appendChild(time);
    meta.appendChild(name); meta.appendChild(link);
    var text = el("div", "comment-text");
    text.appendChild(safe(c.html || ""));
    card.appendChild(meta); card.appendChild(text); li.appendChild(card);
    return li;
  }
  function el(tag, cls) { var e = document.createElement(tag); if (cls) e.className = cls; return e; }
  /* The service cleaned this HTML already; keep only the same short allow-list here too. */
  var ALLOWED = /^(P|BR|A|EM|STRONG|CODE|PRE|BLOCKQUOTE|UL|OL|LI)$/;
  function safe(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var out = document.createDocumentFragment();
    Array.prototype.forEach.call(doc.body.childNodes, function (n) { copy(n, out); });
    return out;
  }
  function copy(node, into) {
    if (node.nodeType === 3) { into.appendChild(document.createTextNode(node.nodeValue)); return; }
    if (node.nodeType !== 1) return;
    var target = into;
    if (ALLOWED.test(node.tagName)) {
      target = document.createElement(node.tagName);
      var href = node.tagName === "A" && node.getAttribute("href");
      if (href && /^(https?:|mailto:)/i.test(href)) { target.href = href; target.rel = "nofollow ugc noopener"; }
      into.appendChild(target);
    }
    Array.prototype.forEach.call(node.childNodes, function (n) { copy(n, target); });
  }
})();
