"""Mantis News, a Hacker News look-alike under ``/demo/news/``.

The markup keeps news.ycombinator.com's table layout and class names (``tr.athing``, ``span.rank``,
``span.titleline``, ``td.subtext``, ``a.hnuser``, ``span.age``, ``a.morelink``) so plans and
extractors written for that site work here unchanged, offline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mantis.demo.layout import esc, html_page, site_url
from mantis.demo.stories import (
    Comment,
    Story,
    age_label,
    all_stories,
    comments_for,
    find_story,
    find_user,
    timestamp,
)
from mantis.demo.styles import NEWS_CSS

router = APIRouter(prefix="/news")

SITE_NAME = "Mantis News"
PER_PAGE = 30
SECTIONS = (("newest", "new"), ("ask", "ask"), ("show", "show"))


def _age(request: Request, minutes: int, item_id: int, anchor: str = "") -> str:
    when = timestamp(minutes)
    href = site_url(request, "news/item", {"id": str(item_id)}) + anchor
    return (
        f'<span class="age" title="{when:%Y-%m-%dT%H:%M:%S} {int(when.timestamp())}">'
        f'<a href="{esc(href)}">{age_label(minutes)}</a></span>'
    )


def _vote(request: Request, item_id: int, goto: str) -> str:
    href = site_url(request, "news/vote", {"id": str(item_id), "how": "up", "goto": goto})
    return (
        f'<td valign="top" class="votelinks"><center><a id="up_{item_id}" href="{esc(href)}">'
        '<div class="votearrow" title="upvote"></div></a></center></td>'
    )


def _titleline(request: Request, story: Story) -> str:
    if story.url is None:
        return (
            f'<span class="titleline"><a href="{esc(site_url(request, "news/item", {"id": str(story.id)}))}">'
            f"{esc(story.title)}</a></span>"
        )
    site = site_url(request, "news/from", {"site": story.domain})
    return (
        f'<span class="titleline"><a href="{esc(story.url)}">{esc(story.title)}</a>'
        f'<span class="sitebit comhead"> (<a href="{esc(site)}">'
        f'<span class="sitestr">{esc(story.domain)}</span></a>)</span></span>'
    )


def _subtext(request: Request, story: Story, goto: str) -> str:
    item = site_url(request, "news/item", {"id": str(story.id)})
    hide = site_url(request, "news/hide", {"id": str(story.id), "goto": goto})
    user = site_url(request, "news/user", {"id": story.user})
    count = story.comment_count
    discuss = "discuss" if count == 0 else f"{count} comment{'' if count == 1 else 's'}"
    return (
        '<td class="subtext"><span class="subline">'
        f'<span class="score" id="score_{story.id}">{story.points} point{"" if story.points == 1 else "s"}'
        "</span>"
        f' by <a href="{esc(user)}" class="hnuser">{esc(story.user)}</a> '
        f"{_age(request, story.age_minutes, story.id)} | "
        f'<a href="{esc(hide)}">hide</a> | <a href="{esc(item)}">{discuss}</a></span></td>'
    )


def _story_rows(request: Request, stories: Iterable[Story], first_rank: int | None, goto: str) -> str:
    """The three rows per story: title row, subtext row, spacer; ``first_rank`` None shows no rank."""
    rows: list[str] = []
    for offset, story in enumerate(stories):
        rank = "" if first_rank is None else f"{first_rank + offset}."
        rows.append(
            f'<tr class="athing submission" id="{story.id}">'
            f'<td align="right" valign="top" class="title"><span class="rank">{rank}</span></td>'
            f'{_vote(request, story.id, goto)}<td class="title">{_titleline(request, story)}</td></tr>'
            f'<tr><td colspan="2"></td>{_subtext(request, story, goto)}</tr>'
            '<tr class="spacer"></tr>'
        )
    return "".join(rows)


def _page(
    request: Request, title: str, content: str, selected: str = "", status_code: int = 200
) -> HTMLResponse:
    """The orange header bar, the content table and the footer with the search box."""
    links = " | ".join(
        (f'<span class="topsel"><a href="{esc(site_url(request, "news/" + path))}">{text}</a></span>'
         if path == selected else f'<a href="{esc(site_url(request, "news/" + path))}">{text}</a>')
        for path, text in SECTIONS
    )
    home = esc(site_url(request, "news/"))
    body = (
        '<table id="hnmain" border="0" cellpadding="0" cellspacing="0">'
        '<tr><td class="header"><table border="0" cellpadding="0" cellspacing="0"><tr>'
        f'<td class="logo"><a href="{home}"><span>M</span></a></td>'
        f'<td><span class="pagetop"><b class="hnname"><a href="{home}">{SITE_NAME}</a></b>{links}</span></td>'
        '<td class="pagetop-right"><span class="pagetop">'
        f'<a href="{esc(site_url(request, "news/login", {"goto": "news"}))}">login</a></span></td>'
        "</tr></table></td></tr>"
        '<tr id="pagespace" title=""></tr>'
        f"<tr><td>{content}</td></tr>"
        '<tr><td><div class="footer-rule"></div><center><span class="yclinks">'
        f'<a href="{home}">Front page</a> | <a href="{esc(site_url(request, "news/newest"))}">New</a> | '
        f'<a href="{esc(site_url(request, "news/ask"))}">Ask</a> | '
        f'<a href="{esc(site_url(request, "news/show"))}">Show</a></span>'
        f'<form class="footer-search" method="get" action="{esc(site_url(request, "news/search"))}">'
        '<label>Search: <input type="text" name="q" size="17" autocorrect="off" spellcheck="false" '
        'autocapitalize="off" autocomplete="off"></label></form></center></td></tr></table>'
    )
    page_title = f"{title} | {SITE_NAME}" if title else SITE_NAME
    return html_page(page_title, body, css=NEWS_CSS, status_code=status_code)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("p", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _listing(
    request: Request,
    path: str,
    stories: list[Story],
    *,
    title: str = "",
    selected: str = "",
    params: dict[str, str] | None = None,
) -> HTMLResponse:
    """One page of a story list with ranks continuing across pages and a "More" link."""
    page = _page_number(request)
    start = (page - 1) * PER_PAGE
    shown = stories[start : start + PER_PAGE]
    goto = path or "news"
    rows = _story_rows(request, shown, start + 1, goto)
    if start + PER_PAGE < len(stories):
        more = site_url(request, f"news/{path}", {**(params or {}), "p": str(page + 1)})
        rows += (
            '<tr class="morespace"></tr><tr><td colspan="2"></td>'
            f'<td class="title"><a href="{esc(more)}" class="morelink" rel="next">More</a></td></tr>'
        )
    table = f'<table border="0" cellpadding="0" cellspacing="0" class="itemlist">{rows}</table>'
    return _page(request, title, table, selected)


def _ranked(keep: Callable[[Story], bool] = lambda story: True) -> list[Story]:
    return sorted((story for story in all_stories() if keep(story)), key=lambda story: -story.rank_score)


def _newest(keep: Callable[[Story], bool] = lambda story: True) -> list[Story]:
    return sorted((story for story in all_stories() if keep(story)), key=lambda story: story.age_minutes)


@router.get("/", response_class=HTMLResponse)
async def front_page(request: Request) -> HTMLResponse:
    """The front page, ranked by points decayed with age."""
    return _listing(request, "", _ranked())


@router.get("/newest", response_class=HTMLResponse)
async def newest(request: Request) -> HTMLResponse:
    """Every story, most recent first."""
    return _listing(request, "newest", _newest(), title="New Links", selected="newest")


@router.get("/ask", response_class=HTMLResponse)
async def ask(request: Request) -> HTMLResponse:
    """Ask HN posts only."""
    stories = _ranked(lambda story: story.title.startswith("Ask HN:"))
    return _listing(request, "ask", stories, title="Ask", selected="ask")


@router.get("/show", response_class=HTMLResponse)
async def show(request: Request) -> HTMLResponse:
    """Show HN posts only."""
    stories = _ranked(lambda story: story.title.startswith("Show HN:"))
    return _listing(request, "show", stories, title="Show", selected="show")


@router.get("/from", response_class=HTMLResponse)
async def from_site(request: Request, site: str = "") -> HTMLResponse:
    """Stories from one domain, reached through the domain link beside each title."""
    stories = _newest(lambda story: story.domain == site)
    return _listing(request, "from", stories, title=f"Submissions from {site}", params={"site": site})


@router.get("/submitted", response_class=HTMLResponse)
async def submitted(request: Request, id: str = "") -> HTMLResponse:
    """One user's submissions, linked from their profile."""
    stories = _newest(lambda story: story.user == id)
    return _listing(request, "submitted", stories, title=f"{id}'s submissions", params={"id": id})


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, q: str = "") -> HTMLResponse:
    """Title search from the footer box (case-insensitive substring match)."""
    needle = q.strip().casefold()
    stories = _ranked(lambda story: bool(needle) and needle in story.title.casefold())
    return _listing(request, "search", stories, title=f"Search: {q}", params={"q": q})


def _comment_row(request: Request, story: Story, comment: Comment) -> str:
    user = site_url(request, "news/user", {"id": comment.user})
    reply = site_url(request, "news/reply", {"id": str(comment.id), "goto": f"item?id={story.id}"})
    paragraphs = "".join(
        esc(text) if index == 0 else f"<p>{esc(text)}</p>" for index, text in enumerate(comment.paragraphs)
    )
    return (
        f'<tr class="athing comtr" id="{comment.id}"><td><table border="0"><tr>'
        f'<td class="ind" indent="{comment.depth}"><span style="width:{40 * comment.depth}px"></span></td>'
        f"{_vote(request, comment.id, f'item?id={story.id}')}"
        '<td class="default"><div><span class="comhead">'
        f'<a href="{esc(user)}" class="hnuser">{esc(comment.user)}</a> '
        f"{_age(request, comment.age_minutes, story.id, f'#{comment.id}')}</span></div>"
        f'<div class="comment"><div class="commtext c00">{paragraphs}</div>'
        f'<div class="reply"><p><a href="{esc(reply)}" rel="nofollow">reply</a></p></div></div>'
        "</td></tr></table></td></tr>"
    )


def _notice(request: Request, text: str, status_code: int = 200) -> HTMLResponse:
    return _page(request, "", f'<div class="notice">{esc(text)}</div>', status_code=status_code)


@router.get("/item", response_class=HTMLResponse)
async def item(request: Request, id: str = "") -> HTMLResponse:
    """A story with its whole comment thread."""
    story = find_story(int(id)) if id.isdigit() else None
    if story is None:
        return _notice(request, "No such item.", status_code=404)
    goto = f"item?id={story.id}"
    toptext = (
        f'<tr><td colspan="2"></td><td><div class="toptext">{esc(story.text)}</div></td></tr>'
        if story.text
        else ""
    )
    form = (
        '<tr style="height:10px"></tr><tr><td colspan="2"></td><td>'
        f'<form method="post" action="{esc(site_url(request, "news/comment"))}">'
        f'<input type="hidden" name="parent" value="{story.id}">'
        '<textarea name="text" rows="8" cols="80" aria-label="Comment"></textarea><br><br>'
        '<input type="submit" value="add comment"></form></td></tr>'
    )
    rows = _story_rows(request, [story], None, goto)
    header = f'<table class="fatitem" border="0">{rows}{toptext}{form}</table>'
    comments = "".join(_comment_row(request, story, comment) for comment in comments_for(story))
    thread = f'<br><br><table border="0" class="comment-tree">{comments}</table>'
    return _page(request, story.title, header + thread)


@router.get("/user", response_class=HTMLResponse)
async def user(request: Request, id: str = "") -> HTMLResponse:
    """A user's profile: age, karma and a link to their submissions."""
    found = find_user(id)
    if found is None:
        return _notice(request, "No such user.", status_code=404)
    submissions = site_url(request, "news/submitted", {"id": found.name})
    rows = (
        ("user:", f'<a href="{esc(site_url(request, "news/user", {"id": found.name}))}" class="hnuser">'
                  f"{esc(found.name)}</a>"),
        ("created:", f"{found.created:%B} {found.created.day}, {found.created.year}"),
        ("karma:", str(found.karma)),
        ("about:", ""),
        ("", f'<a href="{esc(submissions)}"><u>submissions</u></a>'),
    )
    table = "".join(f'<tr><td valign="top">{label}</td><td>{value}</td></tr>' for label, value in rows)
    return _page(request, f"Profile: {found.name}", f'<table border="0" class="user-table">{table}</table>')


@router.api_route("/vote", methods=["GET"], response_class=HTMLResponse)
@router.api_route("/hide", methods=["GET"], response_class=HTMLResponse)
@router.api_route("/reply", methods=["GET"], response_class=HTMLResponse)
@router.api_route("/comment", methods=["POST"], response_class=HTMLResponse)
@router.api_route("/login", methods=["GET"], response_class=HTMLResponse)
async def members_only(request: Request) -> HTMLResponse:
    """Voting, hiding and commenting need an account, which the demo deliberately does not offer."""
    action = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    if action == "login":
        return _notice(request, "Accounts are closed on this demo site; reading is open to everyone.")
    return _notice(request, f"You have to be logged in to {action}.")
