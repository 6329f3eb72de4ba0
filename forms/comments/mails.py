"""The texts of the mails comments cause. Plain text; the visitor's words are quoted as data.

    moderator   one per moderator per new comment: post, author, address, text,
                and signed Approve / Reject / Spam links
    published   to the commenter once their comment is live: its link, a signed
                delete link and, if they asked for replies, the opt-in confirmation link
    reply       to a commenter who confirmed "email me replies", once a reply is
                approved; with a one-click unsubscribe link and the RFC 8058 headers
"""

from __future__ import annotations

from .store import Comment


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines()) or ">"


def moderator(sitename: str, comment: Comment, title: str, page_url: str,
              links: dict[str, str], parent: Comment | None) -> tuple[str, str]:
    status = "is waiting for you" if comment.status == "pending" else "is already live"
    lines = [
        f"A new comment on \"{title}\" {status}.",
        "",
        f"Post:    {title}",
        f"         {page_url}",
        f"Author:  {comment.name}",
        f"Email:   {comment.email}",
        f"Posted:  {comment.created_at}",
    ]
    if parent is not None:
        lines.append(f"Reply to: {parent.name} (comment {parent.id})")
    lines += ["", _quote(comment.body), ""]
    for label, url in links.items():
        lines += [f"{label}:", url, ""]
    lines.append("Each link opens a page with one button; nothing happens until you press it.")
    lines.append(f"Links expire; you can also run: make comments ARGS=\"approve {comment.id}\"")
    return f"[{sitename}] New comment by {comment.name} on \"{title}\"", "\n".join(lines) + "\n"


def published(sitename: str, comment: Comment, title: str, comment_url: str,
              delete_url: str, notify_url: str | None) -> tuple[str, str]:
    lines = [
        f"Hello {comment.name},",
        "",
        f"your comment on \"{title}\" is published:",
        comment_url,
        "",
        "It may take a few minutes to appear on the page.",
        "",
    ]
    if notify_url:
        lines += [
            "You asked to be emailed when someone replies. Confirm that here",
            "(we send nothing until you do):",
            notify_url,
            "",
        ]
    lines += [
        "To delete your comment, open this link and press the button:",
        delete_url,
        "",
        "Your email address is never published.",
    ]
    return f"[{sitename}] Your comment on \"{title}\" is published", "\n".join(lines) + "\n"


def reply(sitename: str, parent: Comment, comment: Comment, title: str, comment_url: str,
          unsubscribe_url: str) -> tuple[str, str]:
    body = "\n".join([
        f"Hello {parent.name},",
        "",
        f"{comment.name} replied to your comment on \"{title}\":",
        "",
        _quote(comment.body),
        "",
        comment_url,
        "",
        "You get this because you asked to be emailed about replies to your comment.",
        "Stop these emails with one click:",
        unsubscribe_url,
    ]) + "\n"
    return f"[{sitename}] {comment.name} replied to your comment on \"{title}\"", body
