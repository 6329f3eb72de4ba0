/* Progressive enhancement for the signup and contact forms: send with fetch,
   show the result in the page (announced by the role=status region), mark
   fields with errors and move focus to the first one. Without this script the
   forms post normally and the service redirects to a thank-you or error page. */
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;
  var started = Math.floor(Date.now() / 1000);
  document.querySelectorAll("form[data-enhance]").forEach(function (form) {
    var stamp = form.querySelector("[name=rendered_at]");
    if (stamp) stamp.value = String(started);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.querySelector(".form-status");
      var button = form.querySelector("button[type=submit], button:not([type])"); // minified pages drop the default type
      clear(form);
      button.disabled = true;
      status.className = "form-status";
      status.textContent = "Sending…";
      fetch(form.action, {
        method: "POST",
        headers: { "Accept": "application/json" },
        body: new URLSearchParams(new FormData(form))
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok) {
            form.reset();
            say(status, data.message || "Thank you!", true);
          } else {
            var errors = data.errors || {};
            var first = mark(form, errors);
            var text = Object.keys(errors).map(function (k) { return errors[k]; }).join(" ");
            say(status, text || "Something went wrong. Please try again.", false);
            if (first) first.focus();
          }
        });
      }).catch(function () {
        say(status, "We could not reach the server. Check your connection and try again.", false);
      }).then(function () { button.disabled = false; });
    });
  });
  /* A page's heavier, below-the-fold script (comments.js) in a <template>:
     started when its section comes within reach, so it costs nothing before. */
  document.querySelectorAll("template[data-lazy-script]").forEach(function (template) {
    if (!window.IntersectionObserver) return;
    new IntersectionObserver(function (entries, observer) {
      if (!entries[0].isIntersecting) return;
      observer.disconnect();
      document.body.appendChild(document.importNode(template.content, true));
    }, { rootMargin: "600px" }).observe(template.parentNode);
  });
  function say(status, text, ok) {
    status.className = "form-status " + (ok ? "is-ok" : "is-bad");
    status.textContent = text;
  }
  function clear(form) {
    form.querySelectorAll("[aria-invalid]").forEach(function (f) { f.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".field-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
  }
  function mark(form, errors) {
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (!field) return;
      field.setAttribute("aria-invalid", "true");
      var note = document.getElementById(field.id + "-error");
      if (note) { note.textContent = errors[name]; note.hidden = false; }
      if (!first) first = field;
    });
    return first;
  }
})();
