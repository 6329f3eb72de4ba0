"""What happens to a comment: submission under the moderation policy, the
actions behind links and `make comments`, and the mails and rebuilds they cause.

Every change and the mails it causes are committed in one transaction; the
delivery worker sends the mails afterwards (forms.smtp_delivery.deliver_mails).
After a change to what is published, COMMENTS_REBUILD_HOOK is POSTed.

Policy (COMMENTS_MODERATION): all (default) -- every comment waits; first --
an address with an approved comment goes live at once; none -- every comment
goes live at once. Moderators are mailed about every new comment either way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import urllib.request
from dataclasses import dataclass

from ..mail_queue import MailQueue
from ..outbox import Outbox
from ..settings import Settings
from . import mails, tokens
from .avatar import avatar_key
from .render import markdown_to_html
from .store import Comment, CommentStore
from .validate import CommentForm

log = logging.getLogger("forms.comments")

DAY = 86400
# How long each kind of link works. Unsubscribing must work for as long as mails may arrive.
LINK_DAYS = {"delete": 90, "notify": 30, "unsubscribe": 3650}
SINGLE_USE = {"approve", "reject", "spam", "delete", "notify"}
LABELS = {"approve": "Approve", "reject": "Reject", "spam": "Spam", "delete": "Delete",
          "notify": "Confirm", "unsubscribe": "Unsubscribe"}


@dataclass
class Outcome:
    ok: bool
    message: str
    comment: Comment | None = None


class Comments:
    def __init__(self, settings: Settings, outbox: Outbox, base_url: str = ""):
        self.settings = settings
        self.outbox = outbox
        self.store = CommentStore(outbox)
        domain = settings.mail_from.rpartition("@")[2] or "forms.invalid"
        self.queue = MailQueue(outbox, domain)
        self.secret = tokens.service_secret(settings.secret, settings.db_path)
        self.base_url = (settings.forms_url or base_url).rstrip("/")
        self.hook_in_background = True  # the CLI waits, or its process would end first

    # -- helpers ------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self):
        conn = self.outbox._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def link(self, action: str, comment_id: int) -> str:
        days = LINK_DAYS.get(action, self.settings.comments_link_days)
        token = tokens.sign(self.secret, action, comment_id, days * DAY)
        return f"{self.base_url}/api/comments/action?t={token}"

    def page_url(self, post: str) -> str:
        return f"{self.settings.siteurl}{post}"

    def comment_url(self, comment: Comment) -> str:
        return f"{self.page_url(comment.post)}#comment-{comment.id}"

    # -- submission ---------------------------------------------------------

    def initial_status(self, email: str) -> str:
        policy = self.settings.comments_moderation
        if policy == "none" or (policy == "first" and self.store.has_approved(email)):
            return "approved"
        return "pending"

    def submit(self, form: CommentForm, ip: str, title: str, *, spam: bool = False) -> Comment:
        """Store a valid comment and its moderators' mails (and, if it is live at once,
        its commenter's mail) in one transaction. A comment Akismet calls spam is
        stored as spam, and nobody is mailed."""
        with self._transaction():
            status = "spam" if spam else self.initial_status(form.email)
            id = self.store.add(
                post=form.post, parent_id=form.parent, name=form.name, email=form.email,
                body=form.body, body_html=markdown_to_html(form.body),
                avatar=avatar_key(self.secret, form.email), ip=ip, status=status,
                notify=form.notify)
            comment = self.store.get(id)
            if not spam:
                self._mail_moderators(comment, title)
            if status == "approved":
                self._after_approval(comment, title)
        if status == "approved":
            self.rebuild(comment)
        return comment

    def _mail_moderators(self, comment: Comment, title: str) -> None:
        actions = ("approve", "reject", "spam") if comment.status == "pending" else ("reject", "spam")
        parent = self.store.get(comment.parent_id) if comment.parent_id else None
        for moderator in self.settings.comments_moderators:
            links = {LABELS[a]: self.link(a, comment.id) for a in actions}
            subject, body = mails.moderator(self.settings.sitename, comment, title,
                                            self.page_url(comment.post), links, parent)
            self.queue.add("comment-moderator", moderator, subject, body, comment_id=comment.id)

    def _after_approval(self, comment: Comment, title: str) -> None:
        """Inside the approving transaction: the commenter's mail, and reply notifications."""
        if comment.email:
            notify_url = self.link("notify", comment.id) if comment.notify == "requested" else None
            subject, body = mails.published(self.settings.sitename, comment, title,
                                            self.comment_url(comment),
                                            self.link("delete", comment.id), notify_url)
            self.queue.add("comment-published", comment.email, subject, body, comment_id=comment.id)
        parent = self.store.get(comment.parent_id) if comment.parent_id else None
        if (parent is not None and parent.notify == "confirmed" and parent.email
                and parent.email != comment.email):
            unsubscribe = self.link("unsubscribe", parent.id)
            subject, body = mails.reply(self.settings.sitename, parent, comment, title,
                                        self.comment_url(comment), unsubscribe)
            self.queue.add("comment-reply", parent.email, subject, body, comment_id=comment.id,
                           headers={"List-Unsubscribe": f"<{unsubscribe}>",
                                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})

    # -- actions (links and make comments) -----------------------------------

    def describe(self, token: str) -> tuple[tokens.Token, Comment]:
        """A link's action and comment, or BadToken; changes nothing (GET is safe)."""
        parsed = tokens.verify(self.secret, token)
        comment = self.store.get(parsed.comment_id)
        if comment is None:
            raise tokens.BadToken("This comment no longer exists.")
        return parsed, comment

    def apply_token(self, token: str, title_of) -> Outcome:
        parsed, comment = self.describe(token)
        return self.apply(parsed.action, comment.id, title_of, nonce=parsed.nonce)

    def apply(self, action: str, id: int, title_of, *, nonce: str | None = None) -> Outcome:
        """Do `action` to comment `id`. title_of(post) names the post in mails."""
        published_before = None
        with self._transaction():
            if nonce is not None and action in SINGLE_USE:
                if not self.store.use_token(nonce, action, id):
                    raise tokens.BadToken("This link has already been used.")
            comment = self.store.get(id)
            if comment is None:
                return Outcome(False, f"There is no comment {id}.")
            published_before = comment.status == "approved"
            outcome = self._do(action, comment, title_of)
        after = self.store.get(id)
        if outcome.ok and published_before != (after is not None and after.status == "approved"):
            self.rebuild(after or comment)
        return outcome

    def _do(self, action: str, comment: Comment, title_of) -> Outcome:
        store = self.store
        if action == "approve":
            if comment.status == "approved":
                return Outcome(False, "This comment is already approved.", comment)
            store.set_status(comment.id, "approved")
            comment = store.get(comment.id)
            self._after_approval(comment, title_of(comment.post))
            return Outcome(True, "The comment is approved. It appears after the next build.", comment)
        if action in ("reject", "spam"):
            status = "rejected" if action == "reject" else "spam"
            if comment.status == status:
                return Outcome(False, f"This comment is already marked {status}.", comment)
            store.set_status(comment.id, status)
            return Outcome(True, f"The comment is marked {status} and will not be published.", comment)
        if action == "delete":
            store.delete(comment.id)
            return Outcome(True, "Your comment is deleted.", comment)
        if action == "notify":
            if comment.notify == "confirmed":
                return Outcome(False, "Reply notifications are already on.", comment)
            store.set_notify(comment.id, "confirmed")
            return Outcome(True, "Done: we will email you when someone replies to your comment.",
                           comment)
        if action == "unsubscribe":
            store.set_notify(comment.id, "unsubscribed")
            return Outcome(True, "You will get no more reply notifications for this comment.",
                           comment)
        return Outcome(False, f"Unknown action {action!r}.", comment)

    # -- rebuild hook ---------------------------------------------------------

    def rebuild(self, comment: Comment, *, wait: bool = False) -> None:
        """POST COMMENTS_REBUILD_HOOK (in a thread unless wait=True); failures are logged."""
        self.rebuild_post(comment.post, wait=wait)

    def rebuild_post(self, post: str, *, wait: bool = True) -> None:
        url = self.settings.comments_rebuild_hook
        if not url:
            return
        payload = json.dumps({"event_type": "comments-changed",
                              "client_payload": {"post": post}}).encode()

        def call() -> None:
            request = urllib.request.Request(url, data=payload, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    log.info("comments: rebuild hook answered %s", response.status)
            except Exception as exc:
                log.warning("comments: rebuild hook failed: %s",
                            self.settings.redact(f"{type(exc).__name__}: {exc}"))

        if wait or not self.hook_in_background:
            call()
        else:
            threading.Thread(target=call, name="comments-rebuild-hook", daemon=True).start()
