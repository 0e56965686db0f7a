"""The built book: math typeset by a MathJax that ships with the build, and a reference list whose labels read
as the citations do.

Builds a mini-book (``book/method.md`` and ``book/references.md`` with the book's own ``_config.yml``, notebooks not
executed) with jupyter-book in a fresh process: a few seconds.
"""

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jupyter_book")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
CDN_MARKERS = ("cdn.jsdelivr", "cdnjs", "mathjax.org", "unpkg")
TOC = "format: jb-book\nroot: book/method\nchapters:\n  - file: book/references\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The HTML output folder of the mini-book."""
    src = tmp_path_factory.mktemp("minibook")
    (src / "book").mkdir()
    for name in ("method.md", "references.md", "references.bib"):
        shutil.copy(ROOT / "book" / name, src / "book" / name)
    shutil.copytree(ROOT / "book" / "_ext", src / "book" / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    (src / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (src / "_toc.yml").write_text(TOC, encoding="utf-8")
    out = src / "out"
    cmd = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())"]
    proc = subprocess.run(
        [*cmd, "build", str(src), "--path-output", str(out)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    site = out / "_build" / "html"
    assert (site / "book" / "method.html").is_file(), proc.stdout[-4000:]
    return site


def script_sources(page: Path) -> list[str]:
    return [html.unescape(s) for s in re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", page.read_text("utf-8"))]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def test_math_is_typeset_by_a_local_mathjax(site: Path):
    page = site / "book" / "method.html"
    assert '<div class="math' in page.read_text("utf-8"), "the page has no math to typeset"
    sources = script_sources(page)
    from_cdn = [s for s in sources if any(marker in s for marker in CDN_MARKERS)]
    assert not from_cdn, f"scripts from a CDN: {from_cdn}"
    mathjax = [s for s in sources if "mathjax" in s.lower()]
    assert mathjax, f"no MathJax script among {sources}"
    for src in mathjax:
        assert "://" not in src and not src.startswith("//"), f"MathJax from the network: {src}"
        path = (page.parent / src.split("?")[0]).resolve()
        assert path.is_file(), f"{src} is not in the build"
        assert path.is_relative_to(site.resolve() / "_static")
    # tex-chtml.js loads its fonts from beside itself: they must be in the build too
    fonts = site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert any(fonts.glob("*.woff")), f"no MathJax fonts in {fonts}"


def test_reference_labels_read_as_the_citations(site: Path):
    entries = re.findall(
        r'<div class="citation" id="([^"]+)"[^>]*>\s*<span class="label">(.*?)</span>\s*</span>',
        (site / "book" / "references.html").read_text("utf-8"),
        re.S,
    )
    labels = {id_: text_of(label).strip("[]") for id_, label in entries}
    assert labels, "the reference list is empty"
    for label in labels.values():
        assert re.fullmatch(r".+, \d{4}[a-z]?", label), f"not an author-year label: {label!r}"
    citations = re.findall(
        r'<a class="reference internal" href="references\.html#([^"]+)"[^>]*>(.*?)</a>',
        (site / "book" / "method.html").read_text("utf-8"),
        re.S,
    )
    assert citations, "book/method.md cites nothing"
    for target, shown in citations:
        assert labels.get(target) == text_of(shown), f"citation {text_of(shown)!r} -> label {labels.get(target)!r}"
