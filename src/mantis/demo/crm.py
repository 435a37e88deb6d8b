"""Pipeline CRM, a small sales CRM under ``/demo/crm/`` for plans that sign in and edit records.

Pages are server-rendered with real POST forms, server-side validation and redirect-after-post, the
way most line-of-business apps behave. Sessions live in memory (see ``mantis.demo.contacts``).
"""

from __future__ import annotations

import re
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mantis.demo.contacts import DEMO_EMAIL, DEMO_PASSWORD, SESSIONS, STATUSES, TODAY, Contact, Workspace
from mantis.demo.layout import esc, html_page, read_form, site_url
from mantis.demo.styles import CRM_CSS

router = APIRouter(prefix="/crm")

SITE_NAME = "Pipeline CRM"
SESSION_COOKIE = "crm_session"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
FIELDS = (
    ("first_name", "First name", "text"),
    ("last_name", "Last name", "text"),
    ("email", "Email", "email"),
    ("phone", "Phone", "tel"),
    ("company", "Company", "text"),
)


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(site_url(request, path), status_code=303)


def _workspace(request: Request) -> Workspace | None:
    return SESSIONS.get(request.cookies.get(SESSION_COOKIE))


def _status_badge(status: str) -> str:
    return f'<span class="status status--{status.lower()}">{esc(status)}</span>'


def _shell(
    request: Request, workspace: Workspace, title: str, content: str, status_code: int = 200
) -> HTMLResponse:
    """The signed-in app frame: sidebar, top bar with "Sign out", and any pending flash message."""
    flash = workspace.pop_flash()
    flash_html = f'<p class="flash" role="status">{esc(flash)}</p>' if flash else ""
    body = (
        '<div class="app"><nav class="sidebar" aria-label="Main">'
        '<p class="sidebar__brand"><span class="sidebar__logo" aria-hidden="true">◆</span>Pipeline</p>'
        f'<a class="sidebar__link is-active" href="{esc(site_url(request, "crm/contacts"))}">Contacts</a>'
        "</nav>"
        '<div class="main"><header class="topbar">'
        f'<span class="topbar__user">{esc(workspace.email)}</span>'
        f'<a class="btn" href="{esc(site_url(request, "crm/logout"))}">Sign out</a></header>'
        f'<main class="content">{flash_html}{content}</main></div></div>'
    )
    return html_page(f"{title} · {SITE_NAME}", body, css=CRM_CSS, status_code=status_code)


def _login_page(request: Request, email: str = "", error: str = "", notice: str = "") -> HTMLResponse:
    alert = f'<p class="alert" role="alert">{esc(error)}</p>' if error else ""
    notice_html = f'<p class="flash" role="status">{esc(notice)}</p>' if notice else ""
    body = (
        '<main class="login"><div class="card login__card">'
        '<p class="login__brand"><span class="sidebar__logo" aria-hidden="true">◆</span>Pipeline</p>'
        "<h1>Sign in to your workspace</h1>"
        f'<p class="login__hint">Demo account — Email: <strong>{DEMO_EMAIL}</strong> · '
        f"Password: <strong>{DEMO_PASSWORD}</strong></p>{notice_html}{alert}"
        f'<form method="post" action="{esc(site_url(request, "crm/login"))}">'
        '<div class="login__field"><label for="email">Email</label>'
        '<input id="email" type="email" name="email" autocomplete="username" required '
        f'value="{esc(email)}"></div>'
        '<div class="login__field"><label for="password">Password</label>'
        '<input id="password" type="password" name="password" autocomplete="current-password" required></div>'
        '<button class="btn btn--primary btn--block" type="submit">Sign in</button></form></div></main>'
    )
    return html_page(f"Sign in · {SITE_NAME}", body, css=CRM_CSS, status_code=401 if error else 200)


@router.get("/")
async def crm_home(request: Request) -> Response:
    """The CRM's entry point is the contact list."""
    return _redirect(request, "crm/contacts")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    """The sign-in form, with the demo credentials printed on it."""
    if _workspace(request) is not None:
        return _redirect(request, "crm/contacts")
    notice = "You have been signed out." if request.query_params.get("signed_out") else ""
    return _login_page(request, notice=notice)


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the demo credentials and open a fresh session with its own copy of the contacts."""
    form = await read_form(request)
    email = form.get("email", "").strip()
    if email.lower() != DEMO_EMAIL or form.get("password", "") != DEMO_PASSWORD:
        return _login_page(request, email=email, error="Incorrect email or password.")
    response = _redirect(request, "crm/contacts")
    response.set_cookie(SESSION_COOKIE, SESSIONS.create(DEMO_EMAIL), httponly=True, samesite="lax", path="/")
    return response


@router.get("/logout")
async def logout(request: Request) -> Response:
    """Forget the session and its data, then go back to the sign-in page."""
    SESSIONS.drop(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(site_url(request, "crm/login", {"signed_out": "1"}), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/contacts", response_class=HTMLResponse)
async def contacts(request: Request, q: str = "") -> Response:
    """All contacts, or those matching the search box, sorted by name."""
    workspace = _workspace(request)
    if workspace is None:
        return _redirect(request, "crm/login")
    query = q.strip()
    found = sorted(
        (contact for contact in workspace.contacts.values() if not query or contact.matches(query)),
        key=lambda contact: (contact.last_name.casefold(), contact.first_name.casefold(), contact.id),
    )
    rows = "".join(
        "<tr>"
        f'<td><a href="{esc(site_url(request, f"crm/contacts/{contact.id}"))}">{esc(contact.name)}</a></td>'
        f"<td>{esc(contact.email)}</td><td>{esc(contact.phone)}</td><td>{esc(contact.company)}</td>"
        f"<td>{_status_badge(contact.status)}</td></tr>"
        for contact in found
    )
    noun = "contact" if len(found) == 1 else "contacts"
    count = f"{len(found)} {noun} matching “{query}”" if query else f"{len(found)} {noun}"
    clear = f' <a href="{esc(site_url(request, "crm/contacts"))}">Clear search</a>' if query else ""
    table = (
        '<table class="table"><thead><tr><th scope="col">Name</th><th scope="col">Email</th>'
        '<th scope="col">Phone</th><th scope="col">Company</th><th scope="col">Status</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if found else '<p class="empty">No contacts match your search.</p>'
    )
    content = (
        '<div class="page-header"><div><h1>Contacts</h1>'
        '<p class="page-header__sub">Everyone your team is talking to.</p></div>'
        f'<a class="btn btn--primary" href="{esc(site_url(request, "crm/contacts/new"))}">New contact</a>'
        "</div>"
        '<section class="card">'
        f'<form class="toolbar" method="get" action="{esc(site_url(request, "crm/contacts"))}" role="search">'
        '<div><label for="q">Search contacts</label>'
        f'<input id="q" type="search" name="q" value="{esc(query)}" placeholder="Name, email or company">'
        "</div>"
        '<button class="btn" type="submit">Search</button>'
        f'<p class="toolbar__count" role="status">{esc(count)}{clear}</p></form>{table}</section>'
    )
    return _shell(request, workspace, "Contacts", content)


def _validate(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Clean the submitted values and list what is wrong with them, by field name."""
    values = {name: form.get(name, "").strip() for name, _, _ in FIELDS}
    values["status"] = form.get("status", "Lead")
    errors: dict[str, str] = {}
    if not values["first_name"]:
        errors["first_name"] = "First name is required."
    if not values["email"]:
        errors["email"] = "Email is required."
    elif not EMAIL_PATTERN.match(values["email"]):
        errors["email"] = "Enter a valid email address, like name@example.com."
    if values["status"] not in STATUSES:
        errors["status"] = "Choose one of the listed statuses."
    return values, errors


def _build(contact_id: int, created: date, values: dict[str, str]) -> Contact:
    """A contact from validated form values."""
    return Contact(
        id=contact_id,
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=values["email"],
        phone=values["phone"],
        company=values["company"],
        status=values["status"],
        created=created,
    )


def _contact_form(
    request: Request, action: str, button: str, cancel: str, values: dict[str, str], errors: dict[str, str]
) -> str:
    fields: list[str] = []
    for name, label, kind in FIELDS:
        error = errors.get(name, "")
        described = f' aria-invalid="true" aria-describedby="{name}-error"' if error else ""
        message = f'<p class="form__error" id="{name}-error">{esc(error)}</p>' if error else ""
        required = " required" if name in {"first_name", "email"} else ""
        fields.append(
            f'<div class="form__field{" form__field--error" if error else ""}">'
            f'<label for="{name}">{label}</label>'
            f'<input id="{name}" type="{kind}" name="{name}" value="{esc(values.get(name, ""))}"'
            f"{required}{described}>"
            f"{message}</div>"
        )
    selected = values.get("status", "Lead")
    options = "".join(
        f'<option value="{status}"{" selected" if status == selected else ""}>{status}</option>'
        for status in STATUSES
    )
    status_error = errors.get("status", "")
    fields.append(
        '<div class="form__field"><label for="status">Status</label>'
        f'<select id="status" name="status">{options}</select>'
        + (f'<p class="form__error" id="status-error">{esc(status_error)}</p>' if status_error else "")
        + "</div>"
    )
    summary = (
        '<p class="alert" role="alert">Please fix the highlighted fields and try again.</p>' if errors else ""
    )
    return (
        f'{summary}<form class="card form" method="post" action="{esc(action)}" novalidate>{"".join(fields)}'
        f'<div class="form__actions"><button class="btn btn--primary" type="submit">{button}</button>'
        f'<a class="btn" href="{esc(cancel)}">Cancel</a></div></form>'
    )


def _form_page(
    request: Request, workspace: Workspace, title: str, form: str, status_code: int = 200
) -> HTMLResponse:
    content = f'<div class="page-header"><h1>{esc(title)}</h1></div>{form}'
    return _shell(request, workspace, title, content, status_code=status_code)


@router.get("/contacts/new", response_class=HTMLResponse)
async def new_contact_form(request: Request) -> Response:
    """An empty contact form."""
    workspace = _workspace(request)
    if workspace is None:
        return _redirect(request, "crm/login")
    form = _contact_form(
        request, site_url(request, "crm/contacts/new"), "Save contact", site_url(request, "crm/contacts"),
        {"status": "Lead"}, {},
    )
    return _form_page(request, workspace, "New contact", form)


@router.post("/contacts/new")
async def create_contact(request: Request) -> Response:
    """Validate and add a contact to this session only, then show it with a flash message."""
    workspace = _workspace(request)
    if workspace is None:
        return _redirect(request, "crm/login")
    values, errors = _validate(await read_form(request))
    if errors:
        form = _contact_form(
            request, site_url(request, "crm/contacts/new"), "Save contact", site_url(request, "crm/contacts"),
            values, errors,
        )
        return _form_page(request, workspace, "New contact", form, status_code=422)
    contact = _build(workspace.next_id, TODAY, values)
    workspace.contacts[contact.id] = contact
    workspace.next_id += 1
    workspace.flash = "Contact created"
    return _redirect(request, f"crm/contacts/{contact.id}")


def _contact_or_none(workspace: Workspace, contact_id: str) -> Contact | None:
    return workspace.contacts.get(int(contact_id)) if contact_id.isdigit() else None


def _missing(request: Request, workspace: Workspace) -> HTMLResponse:
    content = (
        '<div class="card empty"><h1>Contact not found</h1><p>It may have been deleted or never existed.</p>'
        f'<a class="btn btn--primary" href="{esc(site_url(request, "crm/contacts"))}">Back to contacts</a>'
        "</div>"
    )
    return _shell(request, workspace, "Contact not found", content, status_code=404)


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
async def contact_page(request: Request, contact_id: str) -> Response:
    """One contact's details, with an "Edit" link."""
    workspace = _workspace(request)
    if workspace is None:
        return _redirect(request, "crm/login")
    contact = _contact_or_none(workspace, contact_id)
    if contact is None:
        return _missing(request, workspace)
    details = (
        ("First name", esc(contact.first_name)),
        ("Last name", esc(contact.last_name)),
        ("Email", f'<a href="mailto:{esc(contact.email)}">{esc(contact.email)}</a>'),
        ("Phone", f'<a href="tel:{esc(contact.phone)}">{esc(contact.phone)}</a>' if contact.phone else "—"),
        ("Company", esc(contact.company) or "—"),
        ("Status", _status_badge(contact.status)),
        ("Created", f"{contact.created:%b} {contact.created.day}, {contact.created.year}"),
    )
    rows = "".join(f"<dt>{term}</dt><dd>{value}</dd>" for term, value in details)
    content = (
        f'<p><a href="{esc(site_url(request, "crm/contacts"))}">← Back to contacts</a></p>'
        f'<div class="page-header"><div><h1>{esc(contact.name)}</h1>'
        f'<p class="page-header__sub">{esc(contact.company)}</p></div>'
        f'<a class="btn btn--primary" href="{esc(site_url(request, f"crm/contacts/{contact.id}/edit"))}">'
        "Edit</a>"
        f'</div><section class="card"><dl class="details">{rows}</dl></section>'
    )
    return _shell(request, workspace, contact.name, content)


def _edit_form(request: Request, contact: Contact, values: dict[str, str], errors: dict[str, str]) -> str:
    return _contact_form(
        request, site_url(request, f"crm/contacts/{contact.id}/edit"), "Save changes",
        site_url(request, f"crm/contacts/{contact.id}"), values, errors,
    )


@router.get("/contacts/{contact_id}/edit", response_class=HTMLResponse)
async def edit_contact_form(request: Request, contact_id: str) -> Response:
    """The contact form, prefilled."""
    workspace = _workspace(request)
    if workspace is None:
        return _redirect(request, "crm/login")
    contact = _contact_or_none(workspace, contact_id)
    if contact is None:
        return _missing(request, workspace)
    values = {name: str(getattr(contact, name)) for name, _, _ in FIELDS} | {"status": contact.status}
    return _form_page(request, workspace, f"Edit {contact.name}", _edit_form(request, contact, values, {}))


@router.post("/contacts/{contact_id}/edit")
async def update_contact(request: Request, contact_id: str) -> Response:
    """Validate and save the edit in this session, then go back to the contact."""
    workspace = _workspace(request)
    if workspace is None:
        return _redirect(request, "crm/login")
    contact = _contact_or_none(workspace, contact_id)
    if contact is None:
        return _missing(request, workspace)
    values, errors = _validate(await read_form(request))
    if errors:
        form = _edit_form(request, contact, values, errors)
        return _form_page(request, workspace, f"Edit {contact.name}", form, status_code=422)
    workspace.contacts[contact.id] = _build(contact.id, contact.created, values)
    workspace.flash = "Contact updated"
    return _redirect(request, f"crm/contacts/{contact.id}")
