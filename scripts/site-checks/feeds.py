#!/usr/bin/env python3
"""Checks every atom.xml of a built site with feedparser.

For each feed: it parses with bozo == 0 as Atom 1.0; its self link is the
feed's own address; it has at most 20 entries, newest first, each with a
title, id, date and a link to a page that exists in the site (not a
redirect stub); and every dated page that the HTML page beside the feed
lists (the home page of a language, a programme or tag page and its
further pages) is an entry of the feed, so a feed is never empty where the
site shows dated pages.

    feeds.py SITE_DIR      prints one line per finding; exit 1 on any
"""

import html
import re
import sys
from pathlib import Path

import feedparser

MAX_ENTRIES = 20
# A listed page in the default theme: <li class="item"> with the page's
# link and, for dated pages, <time datetime="...">.
ITEM = re.compile(r'<li class="item">(.*?)</li>', re.S)
HREF = re.compile(r'<a href="([^"]+)"')
TIME = re.compile(r'<time datetime="([^"]+)"')
REDIRECT = re.compile(r'<meta http-equiv="refresh"', re.I)


def page_file(site: Path, url_path: str) -> Path:
    rel = url_path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return site / rel


def listing_pages(folder: Path):
    """The HTML page beside a feed and its further pages (page/2/, ...)."""
    pages = [folder / "index.html"]
    paged = folder / "page"
    if paged.is_dir():
        pages += sorted(paged.glob("*/index.html"))
    for page in pages:
        if page.is_file():
            text = page.read_text(encoding="utf-8")
            if not REDIRECT.search(text):
                yield page, text


def check_feed(site: Path, feed_path: Path, findings: list) -> int:
    rel = feed_path.relative_to(site).as_posix()
    where = f"feeds: /{rel}"
    parsed = feedparser.parse(feed_path.read_bytes())
    if parsed.bozo:
        findings.append(f"{where}: does not parse cleanly (bozo): {parsed.bozo_exception}")
        return 0
    if parsed.version != "atom10":
        findings.append(f"{where}: parsed as {parsed.version!r}, not Atom 1.0")
    feed = parsed.feed
    self_links = [link.href for link in feed.get("links", []) if link.get("rel") == "self"]
    if len(self_links) != 1 or not self_links[0].endswith("/" + rel):
        findings.append(f"{where}: self link {self_links} is not the feed's own address")
        return 0
    base = self_links[0][: -len(rel)]
    for key in ("title", "id", "updated"):
        if not feed.get(key):
            findings.append(f"{where}: the feed has no {key}")

    entries = parsed.entries
    if len(entries) > MAX_ENTRIES:
        findings.append(f"{where}: {len(entries)} entries, more than {MAX_ENTRIES}")
    linked = set()
    dates = []
    for number, entry in enumerate(entries, 1):
        label = f"{where}: entry {number}"
        for key in ("title", "id", "link"):
            if not entry.get(key):
                findings.append(f"{label} has no {key}")
        date = entry.get("published_parsed") or entry.get("updated_parsed")
        if not date:
            findings.append(f"{label} has no date")
        else:
            dates.append(date)
        link = entry.get("link", "")
        if not link.startswith(base):
            findings.append(f"{label}: link {link} is not on the site ({base})")
            continue
        url_path = "/" + link[len(base):]
        linked.add(url_path)
        target = page_file(site, url_path)
        if not target.is_file():
            findings.append(f"{label}: link {link} leads to no page of the site")
        elif REDIRECT.search(target.read_text(encoding="utf-8")):
            findings.append(f"{label}: link {link} leads to a redirect stub")
    if dates != sorted(dates, reverse=True):
        findings.append(f"{where}: entries are not newest first")

    # Dated pages that the page beside the feed lists.
    listed = []
    for page, text in listing_pages(feed_path.parent):
        for item in ITEM.findall(text):
            href, time = HREF.search(item), TIME.search(item)
            if href and time:
                listed.append((time.group(1), html.unescape(href.group(1))))
    # Paths in the pages are root-relative and carry the base URL's path.
    base_path = re.sub(r"^[a-z]+://[^/]+", "", base).rstrip("/")
    listed.sort(reverse=True)
    if listed and not entries:
        findings.append(f"{where}: no entries, but the page beside it lists {len(listed)} dated page(s)")
    cutoff = listed[MAX_ENTRIES - 1][0] if len(listed) >= MAX_ENTRIES else ""
    for time, href in listed:
        path = href[len(base_path):] if href.startswith(base_path + "/") else href
        if time > cutoff and path not in linked:
            findings.append(f"{where}: the page beside it lists {href} ({time}), which is not an entry")
    return len(entries)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    site = Path(argv[1]).resolve()
    feeds = sorted(site.rglob("atom.xml"))
    findings = []
    if not feeds:
        findings.append(f"feeds: no atom.xml under {site}")
    entries = sum(check_feed(site, feed, findings) for feed in feeds)
    for finding in findings:
        print(finding)
    print(
        f"feeds: {len(feeds)} atom.xml, {entries} entries, feedparser {feedparser.__version__}: "
        f"{len(findings)} finding(s)"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
