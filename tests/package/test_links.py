"""The links PyPI will show lead somewhere: the project URLs and the README's links.

Every URL starts at the project's home (``Homepage``), and each one that names a file there
(``.../blob/main/PATH``, ``.../raw/main/PATH``) names a file git tracks here, and a heading of
that file when it has an ``#anchor``.  So renaming CHANGELOG.md, moving a doc or rewording a
heading fails a test instead of leaving a dead link on PyPI.
"""

from __future__ import annotations

import re

import pytest

#: How the home's file links name a file: GitHub's page of it, or the file itself (for images).
FILE_LINK = re.compile(r"/(?:blob|raw)/main/([^#]+)(?:#(.*))?$")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def project_urls(dists) -> dict[str, str]:
    pairs = (each.split(", ", 1) for each in dists.metadata().get_all("Project-URL"))
    return {label: url for label, url in pairs}


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of ``markdown`` (code blocks skipped)."""
    anchors, fenced = set(), False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"#{1,6} (.*)", line)):
            text = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def assert_names_a_tracked_file(url: str, home: str, repository) -> None:
    assert url.startswith(home + "/"), url
    link = FILE_LINK.search(url.removeprefix(home))
    assert link, f"{url} names no file at the project's home"
    path, anchor = link.groups()
    assert repository.tracked(path) == {path}, f"{url}: {path} is not a file of this repository"
    if anchor is not None:
        text = (repository.root / path).read_text()
        assert anchor in github_anchors(text), f"{url}: {path} has no heading #{anchor}"


def test_every_project_url_starts_at_the_home(dists):
    """Homepage is the one home; the others are pages of it."""
    urls = project_urls(dists)
    assert list(urls) == ["Homepage", "Documentation", "Changelog", "Source", "Issues"]
    home = urls["Homepage"]
    assert re.fullmatch(r"https://[^/]+/[^/]+/[^/]+", home), home
    assert all(url.startswith(home + "/") for label, url in urls.items() if label != "Homepage")


@pytest.mark.parametrize(
    "label, path", [("Documentation", "README.md"), ("Changelog", "CHANGELOG.md")]
)
def test_documentation_and_changelog_are_files_of_this_repository(dists, repository, label, path):
    """The Documentation and Changelog URLs end in README.md and CHANGELOG.md of this
    repository."""
    urls = project_urls(dists)
    assert urls[label].endswith("/" + path)
    assert_names_a_tracked_file(urls[label], urls["Homepage"], repository)


def test_the_readme_on_pypi_has_no_relative_links(dists):
    """Every link of the description PyPI renders is absolute: relative ones lead nowhere
    there, and an image with a relative path does not show."""
    description = dists.metadata().get_payload()
    links = MARKDOWN_LINK.findall(description)
    assert links, description[:500]
    assert [link for link in links if not link.startswith(("https://", "http://"))] == []
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", description)
    assert images and all("/raw/main/" in image for image in images), images


def test_the_readmes_links_to_the_home_name_files_and_headings_here(dists, repository):
    """Each of the description's links into the home names a tracked file (and heading)."""
    home = project_urls(dists)["Homepage"]
    description = dists.metadata().get_payload()
    into_home = [link for link in MARKDOWN_LINK.findall(description) if link.startswith(home)]
    assert len(into_home) >= 5, into_home
    for url in into_home:
        assert_names_a_tracked_file(url, home, repository)
