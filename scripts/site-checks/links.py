#!/usr/bin/env python3
"""Runs LinkChecker over a built site that a web server already serves at
BASE_URL (a sub-path such as http://127.0.0.1:PORT/sub/path/).

It starts at the home page and follows every link recursively, and starts
once more at each HTML file of SITE_DIR, so that pages no link leads to
(redirect stubs, 404.html) are checked as well. Every URL on the server's
host is checked: pages, assets, feeds, downloads, and with the AnchorCheck
plugin every #fragment. A link that leaves the sub-path is checked too, and
breaks, as it would on a real host. URLs on other hosts are never fetched:
they are listed at the end, with the pages that link to them.

    links.py SITE_DIR BASE_URL     exit 1 on any broken link or anchor
"""

import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

EXTERNAL = re.compile(r'(?:href|src|action|srcset)="((?:https?:)?//[^"]+)"')

CONFIG = """\
[checking]
threads=4
# The server sends the `LinkChecker` header that allows more than 10
# requests a second.
maxrequestspersecond=200

[filtering]
# Every URL on the server's host is checked and followed ...
internlinks=^{host}/
# ... and nothing on another host is fetched (its syntax is checked).
ignore=^(?!{host}/)
checkextern=1

[AnchorCheck]
"""


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    site, base = Path(argv[1]).resolve(), argv[2]
    if not base.endswith("/"):
        base += "/"
    parts = urlsplit(base)
    host = f"{parts.scheme}://{parts.netloc}"
    starts = [base]
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        rel = rel[: -len("index.html")] if rel == "index.html" or rel.endswith("/index.html") else rel
        if rel:
            starts.append(base + rel)

    linkchecker = os.path.join(os.path.dirname(sys.executable), "linkchecker")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "linkcheckerrc"
        config.write_text(CONFIG.format(host=re.escape(host)), encoding="utf-8")
        # Run as root, LinkChecker drops to `nobody`, who must read these.
        os.chmod(folder, 0o755)
        os.chmod(config, 0o644)
        run = subprocess.run(
            [linkchecker, "--config", str(config), "--no-status", "--no-robots", "--verbose",
             "--output", "csv", *starts],
            capture_output=True, text=True, env={**os.environ, "HOME": folder},
        )
    seconds = time.monotonic() - started
    if os.environ.get("LINKS_RAW"):
        Path(os.environ["LINKS_RAW"]).write_text(run.stdout, encoding="utf-8")
    # The CSV output: comment lines, a header line, then one line per URL
    # (whose first field, the link as written, may itself start with "#").
    lines = run.stdout.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("urlname;")), len(lines))
    body = [line for line in lines[header:] if line and not line.startswith("# ")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body)), delimiter=";"))
    if not rows:
        print(f"links: LinkChecker reported nothing (exit {run.returncode})\n{run.stderr}", file=sys.stderr)
        return 2

    findings = []
    checked = set()
    # Links to other hosts, from every page (LinkChecker names only the
    # first page where it met each URL).
    external = defaultdict(set)
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for url in EXTERNAL.findall(text):
            netloc = urlsplit(url if "://" in url else "http:" + url).netloc
            if netloc and netloc != parts.netloc:
                external[netloc].add("/" + page.relative_to(site).as_posix().removesuffix("index.html"))
    for row in rows:
        url, parent = row["url"], row["parentname"] or "(start)"
        where = f"{parent}" + (f" line {row['line']}" if row["line"] else "")
        if row["result"] == "filtered":
            netloc = urlsplit(url).netloc or url
            external[netloc].add(parent.replace(base, "/").split("#")[0] or "/")
            continue
        checked.add(url)
        if row["valid"] != "True":
            findings.append(f"links: {where}: {row['urlname']} -> {url}: {row['result']}")
        if row["warningstring"]:
            warning = " ".join(row["warningstring"].split())
            findings.append(f"links: {where}: {row['urlname']} -> {url}: {warning}")
    for finding in findings:
        print(finding)
    print(
        f"links: LinkChecker over {base}, {len(starts)} start pages, {len(checked)} distinct URLs on "
        f"{parts.netloc} checked (anchors included): {len(findings)} finding(s) in {seconds:.1f} s"
    )
    if external:
        print("  links to other hosts (not fetched):")
        for netloc in sorted(external):
            pages = sorted(external[netloc])
            shown = ", ".join(pages[:4]) + (f" and {len(pages) - 4} more" if len(pages) > 4 else "")
            print(f"    {netloc}: from {len(pages)} page(s): {shown}")
    else:
        print("  no page links to another host")
    if run.returncode not in (0, 1):
        print(f"links: LinkChecker failed (exit {run.returncode})\n{run.stderr}", file=sys.stderr)
        return 2
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
