/* Comments, progressively: Reply links pick the comment a reply answers, and
   the comments approved since the page was built are added from the service's
   export, looking like the built ones (avatar, date in the site's format and
   time zone, a Reply link), so they can be answered at once. forms.js starts
   this script when the reader nears the comments. Without this script the form
   posts normally and the page is complete as of its build. Posting in place is
   forms.js, as for the other forms. */
(function () {
  "use strict";
  var section = document.getElementById("comments");
  if (!section) return;
  /* "In reply to": a <select> when the page was built with comments, else a hidden field. */
  var parent = section.querySelector("[name=parent]");
  var replying = null;
  var dates = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric",
    timeZone: section.getAttribute("data-timezone") || undefined });
  section.querySelectorAll("li.comment").forEach(replyLink);
  section.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-reply]");
    if (link && parent) {
      answer(link.getAttribute("data-reply"));
      section.querySelector("[name=body]").focus();
      event.preventDefault();
    } else if (event.target.closest && event.target.closest("[data-reply-cancel]")) {
      answer("");
      event.preventDefault();
    }
  });
  if (parent && parent.tagName === "SELECT") parent.addEventListener("change", function () { answer(parent.value); });
  var form = section.querySelector("form");
  if (form) form.addEventListener("reset", function () { setTimeout(function () { answer(""); }, 0); });
  document.documentElement.setAttribute("data-comments", "ready");
  if (!form || !window.IntersectionObserver) return;
  var url = form.action + "/export?post=" + encodeURIComponent(form.elements.post.value);
  new IntersectionObserver(function (entries, observer) {
    if (!entries[0].isIntersecting) return;
    observer.disconnect();
    fetch(url).then(function (r) { return r.json(); }).then(function (data) {
      data.comments.forEach(add);
      document.documentElement.setAttribute("data-comments-loaded", "");
    }).catch(function () {});
  }, { rootMargin: "400px" }).observe(section);

  /* The comment a reply answers ("" for none), in the form's field and, where
     that field is hidden, in a line above the text box saying whom. */
  function answer(id) {
    if (!parent) return;
    parent.value = id;
    if (parent.tagName === "SELECT") return;
    var li = byId(id);
    if (!replying) {
      replying = make("p", "comment-replying");
      replying.setAttribute("role", "status");
      section.querySelector("[name=body]").closest(".field").before(replying);
    }
    replying.textContent = "";
    if (!li) return;
    var cancel = make("button", "comment-reply-cancel");
    cancel.type = "button";
    cancel.setAttribute("data-reply-cancel", "");
    cancel.textContent = "Cancel reply";
    replying.append("Replying to " + li.querySelector(".comment-author").textContent + ". ", cancel);
  }

  function add(c) {
    if (byId(c.id)) return;
    var host = byId(c.parent) || section;
    var list = host.querySelector(host === section ? ".comment-list" : ".comment-replies");
    if (!list || list.parentNode !== host) {
      list = make("ol", host === section ? "comment-list" : "comment-replies");
      host === section ? section.insertBefore(list, section.querySelector(".comment-respond")) : host.appendChild(list);
    }
    var none = section.querySelector(".comments-none");
    if (none) none.remove();
    var li = make("li", "comment"), meta = make("p", "comment-meta"), avatar = make("span", "avatar"),
        name = make("b", "comment-author"), link = make("a", "comment-link"), time = make("time"),
        text = make("div", "comment-text");
    li.id = "comment-" + c.id;
    avatar.setAttribute("aria-hidden", "true");
    avatar.style.setProperty("--h", (parseInt(String(c.avatar || "").slice(0, 4), 16) || 0) % 360);
    avatar.textContent = initials(c.name || "");
    if (/^https?:\/\//i.test(c.url || "")) {
      var site = make("a");
      site.href = c.url;
      site.rel = "nofollow ugc noopener";
      site.textContent = c.name;
      name.appendChild(site);
    } else {
      name.textContent = c.name || "Anonymous";
    }
    link.href = "#" + li.id;
    time.dateTime = c.created_at;
    time.textContent = dates.format(new Date(c.created_at));
    link.appendChild(time);
    meta.append(avatar, "\n", name, "\n", link);
    /* Cleaned by the service already; rebuilt here from the same short allow-list anyway. */
    copy(new DOMParser().parseFromString(c.html, "text/html").body, text);
    li.append(meta, text);
    list.appendChild(li);
    if (parent && parent.tagName === "SELECT") parent.add(new Option(c.name + ", " + time.textContent, c.id));
    replyLink(li);
  }
  /* A Reply link under the comment's text: it picks the comment in "In reply to". */
  function replyLink(li) {
    var text = li.querySelector(":scope > .comment-text");
    if (!parent || !text || li.querySelector(":scope > .comment-reply")) return;
    var link = make("a", "comment-reply"), who = make("span", "visually-hidden");
    link.href = "#respond";
    link.setAttribute("data-reply", li.id.slice(8));
    who.textContent = " to " + li.querySelector(".comment-author").textContent;
    link.append("Reply", who);
    text.after(link);
  }
  /* Up to two letters, as the build's avatars (forms/comments/avatar.py). */
  function initials(name) {
    var words = name.split(/\s+/).filter(function (w) { return /[\p{L}\p{N}]/u.test(w); });
    if (!words.length) return "?";
    var picked = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0]];
    return picked.map(function (w) { return w.match(/[\p{L}\p{N}]/u)[0].normalize("NFC").toUpperCase(); }).join("");
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
