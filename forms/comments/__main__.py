"""python -m forms.comments: see forms.comments.cli."""

import sys

from .cli import main

sys.exit(main())
