"""The middleware reads a Cookie header exactly as http.cookies.SimpleCookie does."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.web.middleware import parse_cookies


def simple_cookie(header: str) -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(header)
    except Exception:
        return {}
    return {k: v.value for k, v in jar.items()}


@pytest.mark.parametrize("header", [
    "hromada_csrf=" + "a" * 43 + "; lang=en; hromada_session=xyz",
    "lang=uk", "a=b;c=d", "a=b;", "a=b; ", " a=b", "a==b=", "a=", "=b", "a", "a=b; c",
    "a=b; Path=/; c=d", "Path=/; a=b", "secure; a=b", "a=b; secure; c=d", "$Version=1; a=b",
    'a="b c"; d=e', 'a="b\\"c"', "a=b c=d", "a=b,c=d", "f(x)=1; a=b", "a@b=1", "é=1; a=b",
    "a=é", "_ga=GA1.2.3.4; __Host-x=y%20z; t=a/b+c==", "a=[x]; b={y}|~`^", "a=b;;c=d",
    "a=1; a=2", "Expires=1", "a=b; expires=Wed, 21 Oct 2015 07:28:00 GMT; c=d",
])
def test_known_headers(header):
    assert parse_cookies(header) == simple_cookie(header)


ALPHABET = st.sampled_from(list("abcAZ09_-.=;, \"\\$()@:/+!~`'[]{}|^%&*?<>\té") + ["Path",
                           "secure", "Max-Age", "expires"])


@settings(max_examples=1500, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_any_header(header):
    assert parse_cookies(header) == simple_cookie(header)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.lists(ALPHABET, min_size=1, max_size=6).map("".join),
                          st.lists(ALPHABET, max_size=6).map("".join)), min_size=1, max_size=5),
       st.sampled_from(["; ", ";", " ; "]))
def test_pairs(pairs, separator):
    header = separator.join(f"{name}={value}" for name, value in pairs)
    assert parse_cookies(header) == simple_cookie(header)
