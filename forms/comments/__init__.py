"""Comments: "Leave a Reply" under every article, moderated, with no third party.

Server side only (the build reads approved comments from the export, see
plugins/comments). Modules, one job each:

    render      Markdown (raw HTML off) -> safe HTML, and cleaning imported HTML (nh3)
    avatar      the keyed hash behind a commenter's local avatar, and initials
    tokens      signed, expiring links (HMAC-SHA256 with FORMS_SECRET)
    store       the comments table, tokens used once, export and person data
    posts       which posts exist and take comments (the build's comments-posts.json)
    validate    the fields of POST /api/comments
    mails       the texts of moderator, commenter and reply-notification mails
    moderation  approve / reject / spam / delete / notification opt-in, shared by links and CLI
    endpoints   the HTTP endpoints and the confirmation pages
    wordpress   loading a WordPress export's comments (JSON from make import-wordpress)
    akismet     the optional, server-side Akismet check (off by default)
    cli         `make comments`
"""
