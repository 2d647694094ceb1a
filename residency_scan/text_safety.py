"""What makes untrusted text dangerous to show, defined once: terminal escape sequences and unsafe characters.

Text from inventories, registries, WHOIS, DNS and HTTP headers reaches terminals, HTML and XML. The reporters
(`reports/text.py`) and the resolvers that keep remote text as evidence (`resolvers/untrusted.py`) replace the
same things; they differ only in what they replace them with and how they treat line breaks.
"""

from __future__ import annotations

import re

# Escape sequences, in their 7-bit (ESC x) and 8-bit (C1 byte) forms. A whole sequence is replaced at once, so
# its payload (an OSC 8 link target, a window title) never reaches the output.
ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\]|\x9d) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)        # OSC ... BEL|ST  (hyperlinks, titles)
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c]* (?:\x1b\\|\x9c) # DCS, SOS, PM, APC ... ST
    | (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]         # CSI (colours, cursor moves)
    | \x1b [\x20-\x2f]* [\x30-\x7e]                                 # other ESC sequences (ESC c, ESC ( B)
    """,
    re.VERBOSE,
)

UNSAFE_CHARACTERS = "\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069"
"""A regex character-class body: what is left after the sequences — lone ESC, C0 and C1 controls (tab and the
line breaks \\t \\n \\v \\f \\r excepted: each user decides), DEL, lone surrogates (file names decoded with
surrogateescape) and the bidi embeddings, overrides and isolates of "Trojan Source" (CVE-2021-42574)."""
