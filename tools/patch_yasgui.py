"""Point the vendored YASGUI bundle's outward links at this site, so the editor page works offline and sends no
one elsewhere: its help icons and documentation button (triply.cc), the CORS and mixed-content error messages'
links (enable-cors.org, MDN) go to the editor's own help (/query#help), and the endpoint catalogue's defaults
(DBpedia, Wikidata; unused, as the page runs YASQE and YASR on their own) become /sparql.

Replacements must not contain quotes: the bundle's strings are quoted with both kinds.
Run once after copying a new build/yasgui.min.js from npm: ``python tools/patch_yasgui.py``. Idempotent; fails
when a string it expects is missing (a new YASGUI version wants this list checked again)."""

from __future__ import annotations

import sys
from pathlib import Path

BUNDLE = Path(__file__).resolve().parents[1] / "src/clustergraph/web/static/vendor/yasgui/yasgui.min.js"
HELP = "/query#help"
REPLACEMENTS = {
    'helpReference="https://triply.cc/docs/yasgui#table"': f'helpReference="{HELP}"',
    'helpReference="https://triply.cc/docs/yasgui#response"': f'helpReference="{HELP}"',
    'href="//triply.cc/docs/yasgui"': f'href="{HELP}"',
    's.href="http://enable-cors.org/"': f's.href="{HELP}"',
    'href="https://developer.mozilla.org/en-US/docs/Web/Security/Same-origin_policy"': f'href="{HELP}"',
    '>https://developer.mozilla.org/en-US/docs/Web/Security/Same-origin_policy</a>': ">the help of this editor</a>",
    'endpoint:"https://dbpedia.org/sparql"': 'endpoint:"/sparql"',
    'endpoint:"https://query.wikidata.org/bigdata/namespace/wdq/sparql"': 'endpoint:"/sparql"',
}


def main() -> int:
    text = BUNDLE.read_text(encoding="utf-8")
    for old, new in REPLACEMENTS.items():
        if old not in text and new not in text:
            print(f"{BUNDLE}: expected {old!r}; check the list against this YASGUI version", file=sys.stderr)
            return 1
        text = text.replace(old, new)
    BUNDLE.write_text(text, encoding="utf-8")
    print(f"patched {BUNDLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
