"""Import a WordPress export: ``python -m tools.import_wordpress export.xml [--download-images]``.

The work is done by the tools.wordpress package (one module per job); this
module is the command line ``make import-wordpress`` runs, and keeps the
names older code imports from here.
"""

import sys

from tools.wordpress.markup import html_to_markdown, one_line, wpautop  # noqa: F401
from tools.wordpress.run import format_summary, main, run_import  # noqa: F401
from tools.wordpress.shortcodes import FormRules, Shortcodes, caption_figure, parse_attrs  # noqa: F401
from tools.wordpress.wxr import ExportError, parse_export  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
