"""Every list of the JSON API is paged one way: a page of `items`, and while more follow, the
next page's address in `next` and in a `Link: <...>; rel="next"` header (null and no header
on the last page). The next page's address is this request's, with the parameters that move
on (`offset`, or the audit log's `after_seq`) replaced.

Lists take `offset` and `limit` (`Window`); a list that counts its items says how many in
`total` (`CountedPage`). The published audit log moves on by position (`after_seq`) instead
and says so with `following` (app/audit/api.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field

T = TypeVar("T")
MAX_OFFSET = 10_000_000


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="The next page's address while more items follow "
                                         "(also in the `Link` header, rel=\"next\"); null "
                                         "on the last page.")


class CountedPage(Page[T], Generic[T]):
    total: int = Field(description="How many items all the pages hold.")


def page(request: Request, response: Response, items: Sequence[Any], *,
         following: Mapping[str, Any] | None, total: int | None = None) -> dict[str, Any]:
    """The body of one page; `following` are the parameters of the next page, or None on the
    last. Sets the `Link` header of the response."""
    address = None
    if following is not None:
        address = str(request.url.include_query_params(**following))
        response.headers["Link"] = f'<{address}>; rel="next"'
    body: dict[str, Any] = {"items": list(items), "next": address}
    if total is not None:
        body["total"] = total
    return body


@dataclass(frozen=True)
class Window:
    """Which items of a list a request asks for: `limit` of them from `offset` on."""

    offset: int
    limit: int

    def page(self, request: Request, response: Response, items: Sequence[Any], *,
             total: int | None = None) -> dict[str, Any]:
        """A page of the items of this window (already cut from the list). With `total` the
        next page exists while items remain; without, while this page is full."""
        more = (self.offset + len(items) < total) if total is not None else (
            len(items) == self.limit)
        following = {"offset": self.offset + self.limit, "limit": self.limit} if more else None
        return page(request, response, items, following=following, total=total)

    def cut(self, request: Request, response: Response, rows: Sequence[Any]
            ) -> dict[str, Any]:
        """A page of a list held whole (a short list: the questions of a consultation)."""
        return self.page(request, response, rows[self.offset:self.offset + self.limit],
                         total=len(rows))


def window(default: int = 50, maximum: int = 500):
    """The `offset` and `limit` parameters of a list, as a dependency giving its Window."""

    def dependency(offset: int = Query(0, ge=0, le=MAX_OFFSET,
                                       description="How many items to skip."),
                   limit: int = Query(default, ge=1, le=maximum,
                                      description="How many items a page holds at most.")
                   ) -> Window:
        return Window(offset, limit)

    return Annotated[Window, Depends(dependency)]
