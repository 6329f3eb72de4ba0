"""Work out each page's URL once instead of on every use.

Pelican computes `url` and `save_as` afresh each time a template asks,
formatting the URL pattern with the page's metadata (dates included); a
listing page asks for hundreds. Once every generator has finished its
context nothing changes them any more, so from then on each object keeps the
first answer. On the 1,000-post bench corpus this is about a fifth of the
page-rendering time.
"""

from pelican import signals
from pelican.contents import Article, Content, Page
from pelican.urlwrappers import Author, Category, Tag, URLWrapper

_state = {"frozen": False}
_NAMES = ("url", "save_as")


def _remembering(name, compute):
    slot = f"_remembered_{name}"

    def get(self):
        if not _state["frozen"]:
            return compute(self)
        try:
            return self.__dict__[slot]
        except KeyError:
            value = self.__dict__[slot] = compute(self)
            return value

    return property(get, doc=f"{name}, remembered once the context is final")


# Not Static: an {attach} link moves a static file while pages render.
_CLASSES = (Content, Article, Page, URLWrapper, Category, Tag, Author)


def _install():
    for cls in _CLASSES:
        for name in _NAMES:
            prop = cls.__dict__.get(name)
            if isinstance(prop, property) and not getattr(prop.fget, "_remembering", False):
                wrapped = _remembering(name, prop.fget)
                wrapped.fget._remembering = True
                setattr(cls, name, wrapped)


def _freeze(_generators):
    _state["frozen"] = True


def _thaw(_pelican):
    _state["frozen"] = False


def register():
    _install()
    signals.initialized.connect(_thaw)
    signals.all_generators_finalized.connect(_freeze)
