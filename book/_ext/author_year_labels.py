"""Author-year labels for the book's reference list (a local Sphinx extension).

The citations of the book read ``(Du et al., 2022)`` (``bibtex_reference_style: author_year``),
but sphinxcontrib-bibtex's default bibliography style labels its entries ``[DLTM22]``, so a
reader cannot match one with the other. This extension registers a pybtex formatting style,
``author_year``, that sorts the list by author, year and title and labels each entry with the
very text its citation shows, made by sphinxcontrib-bibtex's own author-year template:
``[Du et al., 2022]``. Two entries that would get the same label get ``a``, ``b``, ... after it.

Used through ``_config.yml``: ``sphinx.local_extensions`` loads this file and
``bibtex_default_style: author_year`` selects the style.
"""

from collections import Counter
from string import ascii_lowercase

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.template import join, year

NAME = "author_year"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels an entry ``Author, Year``, as ``{cite:p}`` writes it inside its parentheses."""

    def __init__(self) -> None:
        super().__init__()
        self._style = AuthorYearReferenceStyle()
        person = self._style.person.author_or_editor_or_title(full=False)
        self._template = join(sep=self._style.author_year_sep)[person, year]

    def format_label(self, entry) -> str:
        return self._template.format_data({"entry": entry, "style": self._style}).render_as("text")

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                suffix = ascii_lowercase[seen[label] % len(ascii_lowercase)]
                seen[label] += 1
                label += suffix
            yield label


class AuthorYearStyle(UnsrtStyle):
    """The ``unsrt`` entry format, sorted by author, year and title, with author-year labels."""

    default_sorting_style = "author_year_title"
    default_label_style = NAME


register_plugin("pybtex.style.labels", NAME, AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", NAME, AuthorYearStyle)


def setup(app):
    app.setup_extension("sphinxcontrib.bibtex")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
