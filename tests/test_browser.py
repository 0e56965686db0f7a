"""The built book in a real browser: every page at 1400 and 800 px, as a reader sees it.

A page fails when a table, figure or code block is wider than the content column (cut off, or
hidden behind a sideways scrollbar), an image does not load or is shown twice, MathJax reports an
error, or an output cell shows a traceback or a warning. One full-page screenshot per page and width is saved
under ``_build/screenshots/`` (CI keeps them).

Runs on the book ``make book`` built (``.ci/run`` builds it first) with the distribution's
Chromium; skipped, with the reason on one line, where either is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from irem.provenance import REPO_ROOT

HTML = REPO_ROOT / "_build" / "html"
SCREENSHOTS = REPO_ROOT / "_build" / "screenshots"
WIDTHS = (1400, 800)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOT_PAGES = {"genindex.html", "search.html"}

# what a reader would call broken, found in the page itself; returns one line per problem
PROBLEMS_JS = r"""
() => {
  const column = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const right = column.getBoundingClientRect().right;
  const problems = [];
  const name = el => `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> near "${
    (el.closest("section")?.querySelector("h1, h2, h3")?.textContent || "").trim().slice(0, 60)}"`;
  for (const el of column.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || el.closest("mjx-container")) continue;
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 2) {
      problems.push(`hidden behind a sideways scroll: ${name(el)}, ${el.scrollWidth} px in ${el.clientWidth} px`);
    } else if (el.matches("table, img, pre, svg, figure") && el.getBoundingClientRect().right > right + 2) {
      problems.push(`wider than the column: ${name(el)} ends at ${Math.round(el.getBoundingClientRect().right)} px, ` +
                    `the column at ${Math.round(right)} px`);
    }
  }
  const seen = new Set();
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0) problems.push(`image did not load: ${img.getAttribute("src")}`);
    // a glued figure also shown by the cell that made it (a cell not removed from the page) appears twice
    if (seen.has(img.src)) problems.push(`the same image shown twice: ${name(img)}`);
    seen.add(img.src);
  }
  for (const el of document.querySelectorAll("mjx-merror, .MathJax_Error")) {
    problems.push(`MathJax error: ${el.textContent.trim().slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll(".cell_output .stderr, .cell_output .traceback, .output.stderr")) {
    problems.push(`output cell shows an error or warning: ${el.textContent.trim().slice(0, 120)}`);
  }
  for (const el of document.querySelectorAll(".cell_output")) {
    if (el.textContent.includes("Traceback (most recent call last)")) problems.push(`traceback in ${name(el)}`);
  }
  return problems;
}
"""


def pages() -> list[Path]:
    """Every page of the built book (none when it is not built); redirects (the root's index) left out."""
    if not (HTML / "index.html").exists():
        return []
    found = [p for p in HTML.glob("**/*.html") if p.name not in NOT_PAGES
             and not any(part.startswith("_") for part in p.relative_to(HTML).parts[:-1])]  # fmt: skip
    return sorted(p for p in found if 'http-equiv="Refresh"' not in p.read_text(errors="replace")[:2000])


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")
    if CHROMIUM is None:
        pytest.skip(
            "Chromium is not installed (Debian: apt-get install chromium): the book is not checked in a browser"
        )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def problems_of(browser, url: str, width: int, screenshot: Path | None = None) -> list[str]:
    """The problems ``PROBLEMS_JS`` finds on the page at ``url`` shown ``width`` px wide."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    try:
        page.goto(url, wait_until="load")
        page.evaluate("() => window.MathJax?.startup?.promise")  # typeset before looking for its errors
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        return page.evaluate(PROBLEMS_JS)
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_reads_at_this_width(browser, width):
    found = pages()
    if not found:
        pytest.skip(f"no built book in {HTML}: run `make book` first (.ci/run does)")
    report = {}
    for page in found:
        name = page.relative_to(HTML).with_suffix("")
        shot = SCREENSHOTS / f"{str(name).replace('/', '__')}-{width}px.png"
        if problems := problems_of(browser, page.as_uri(), width, shot):
            report[str(name)] = problems
    assert report == {}, "\n".join(f"{page}: {p}" for page, ps in report.items() for p in ps)


def test_the_check_finds_a_too_wide_table_and_a_broken_image(browser, tmp_path):
    style = f'<link rel="stylesheet" href="{(REPO_ROOT / "book" / "_static" / "book.css").as_uri()}">'
    cells = "".join(f"<td>{'0.0123' * 8}</td>" for _ in range(12))  # unbreakable: 12 x 48 characters
    html = (f"<html><head>{style}</head><body><main><article class='bd-article' style='width: 700px'>"
            f"<section><h2>Table 1</h2><div class='cell_output'><table><tr>{cells}</tr></table></div>"
            "<img src='missing.png'><img src='twice.png'><img src='twice.png'></section></article></main></body>"
            "</html>")  # fmt: skip
    page = tmp_path / "wide.html"
    page.write_text(html)
    problems = problems_of(browser, page.as_uri(), 1400)
    assert any("Table 1" in p and ("sideways scroll" in p or "wider than the column" in p) for p in problems), problems
    assert any("image did not load: missing.png" in p for p in problems), problems
    assert any('the same image shown twice: <img> near "Table 1"' in p for p in problems), problems
    page.write_text(html.replace(cells, "<td>0.0123</td>").replace("<img src='missing.png'>", "")
                    .replace("<img src='twice.png'>", ""))  # fmt: skip
    assert problems_of(browser, page.as_uri(), 1400) == []
