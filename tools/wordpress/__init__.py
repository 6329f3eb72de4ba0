"""The WordPress importer, one job per module.

wxr        read a WXR export (any version, http or https namespaces)
shortcodes shortcodes: forms, [caption], [gallery], [audio]/[video]/[embed]
embeds     third-party embeds (iframes, scripts, bare URLs) turned into plain links
markup     WordPress post HTML to Markdown (wpautop, block comments, more/nextpage)
images     remote images: listing, downloading into content/images/, rewriting links
documents  one post or page: front matter and body
redirects  the old-URL → new-URL map the redirects plugin publishes
comments   the comments data file the comments capability loads
run        the import as a whole, its summary and the command line
"""
