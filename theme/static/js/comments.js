/* Comments, progressively: a Reply link fills in "In reply to", and the
   comments approved since the page was built are added from the service's
   export. forms.js starts this script when the reader nears the comments. Without this script the form posts
   normally and the page is complete as of its build. Posting in place is
   forms.js, as for the other forms. */
(function () {
  "use strict";
  var section = document.getElementById("comments");
  if (!section) return;
  var parent = section.querySelector("[name=parent]");
  section.querySelectorAll("li.comment").forEach(replyLink);
  section.addEventListener("click", function (event) {
    var id = event.target.getAttribute && event.target.closest("[data-reply]");
    if (!id || !parent) return;
    parent.value = id.getAttribute("data-reply");
    section.querySelector("[name=body]").focus();
    event.preventDefault();
  });
  document.documentElement.setAttribute("data-comments", "ready");
  var form = section.querySelector("form");
  if (!form || !window.IntersectionObserver) return;
  var url = form.action + "/export?post=" + encodeURIComponent(form.elements.post.value);
  new IntersectionObserver(function (entries, observer) {
    if (!entries[0].isIntersecting) return;
    observer.disconnect();
    fetch(url).then(function (r) { return r.json(); }).then(function (data) {
      data.comments.forEach(add);
    }).catch(function () {});
  }, { rootMargin: "400px" }).observe(section);

  function add(c) {
    if (byId(c.id)) return;
    var host = byId(c.parent) || section;
    var list = host.querySelector(host === section ? ".comment-list" : ".comment-replies");
    if (!list || list.parentNode !== host) {
      list = make("ol", host === section ? "comment-list" : "comment-replies");
      host === section ? section.insertBefore(list, section.querySelector(".comment-respond")) : host.appendChild(list);
    }
    var li = make("li", "comment"), meta = make("p", "comment-meta"), name = make("b", "comment-author"),
        link = make("a", "comment-link"), time = make("time"), text = make("div", "comment-text");
    li.id = "comment-" + c.id;
    name.textContent = c.name;
    link.href = "#" + li.id;
    time.dateTime = c.created_at;
    time.textContent = new Date(c.created_at).toLocaleString();
    link.appendChild(time);
    meta.append(name, " ", link);
    /* Cleaned by the service already; rebuilt here from the same short allow-list anyway. */
    copy(new DOMParser().parseFromString(c.html, "text/html").body, text);
    li.append(meta, text);
    list.appendChild(li);
    if (parent) parent.add(new Option(c.name, c.id));
    replyLink(li);
  }
  /* A Reply link under the comment's text: it picks the comment in "In reply to". */
  function replyLink(li) {
    var text = li.querySelector(":scope > .comment-text");
    if (!parent || !text || !parent.querySelector("option[value='" + li.id.slice(8) + "']")) return;
    var link = make("a", "comment-reply"), who = make("span", "visually-hidden");
    link.href = "#respond";
    link.setAttribute("data-reply", li.id.slice(8));
    who.textContent = " to " + li.querySelector(".comment-author").textContent;
    link.append("Reply", who);
    text.after(link);
  }
  function copy(from, into) {
    from.childNodes.forEach(function (node) {
      var target = into;
      if (node.nodeType === 3) return into.append(node.nodeValue);
      if (/^(P|BR|A|EM|STRONG|CODE|PRE|BLOCKQUOTE|UL|OL|LI)$/.test(node.tagName)) {
        target = into.appendChild(make(node.tagName));
        var href = node.tagName === "A" && node.getAttribute("href");
        if (href && /^(https?:|mailto:)/i.test(href)) { target.href = href; target.rel = "nofollow ugc noopener"; }
      }
      copy(node, target);
    });
  }
  function make(tag, cls) { var e = document.createElement(tag); if (cls) e.className = cls; return e; }
  function byId(id) { return id && document.getElementById("comment-" + id); }
})();
