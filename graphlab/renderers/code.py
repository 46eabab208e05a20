"""Source code as HTML for Jupyter: syntax-highlighted with Pygments when it is
installed (it comes with Jupyter and with pytest), a plain ``<pre>`` otherwise."""

from __future__ import annotations

import html


def highlight(text: str, language: str = "python") -> str:
    """``text`` as an HTML block; inline styles, so it needs no stylesheet."""
    try:
        from pygments import highlight as pygments_highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
    except ImportError:
        return f"<pre class='graphlab-code'>{html.escape(text)}</pre>"
    formatter = HtmlFormatter(noclasses=True, nobackground=False, cssclass="graphlab-code")
    return pygments_highlight(text, get_lexer_by_name(language), formatter)
