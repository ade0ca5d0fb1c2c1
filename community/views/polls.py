"""Poll pages: the list, one poll with its vote form and results, the form
for a new poll, and the vote and close actions (htmx swaps the poll in
place; without JavaScript the forms post and redirect back)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from community.models import Poll
from community.models.polls import OPTIONS_MAX, TITLE_MAX
from community.selectors import polls as selectors
from community.services import polls as services
from community.views.moderation import safe_next
from core.exceptions import ApplicationError


class PollForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Question"), max_length=TITLE_MAX)
    body_md = forms.CharField(
        label=gettext_lazy("Introduction (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Markdown: **bold**, *italic*, lists and links."),
    )
    options = forms.CharField(
        label=gettext_lazy("Options"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("One option per line, from 2 to %(max)d.") % {"max": OPTIONS_MAX},
    )
    poll_type = forms.ChoiceField(
        label=gettext_lazy("Voters choose"),
        choices=Poll.Type.choices,
        initial=Poll.Type.SINGLE,
        widget=forms.RadioSelect,
    )
    min_choices = forms.IntegerField(
        label=gettext_lazy("Fewest choices (multiple choice)"),
        required=False,
        min_value=0,
        max_value=OPTIONS_MAX,
    )
    max_choices = forms.IntegerField(
        label=gettext_lazy("Most choices (multiple choice)"),
        required=False,
        min_value=0,
        max_value=OPTIONS_MAX,
        help_text=gettext_lazy("Empty: as many as there are options."),
    )
    results = forms.ChoiceField(
        label=gettext_lazy("Show the results"),
        choices=Poll.Results.choices,
        initial=Poll.Results.ALWAYS,
    )
    public_voters = forms.BooleanField(
        label=gettext_lazy("Show who voted for what"), required=False
    )
    close_at = forms.DateTimeField(
        label=gettext_lazy("Closes at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    product = forms.CharField(
        label=gettext_lazy("Product (optional)"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("The product's address or its name in the address (slug)."),
    )
    owners_only = forms.BooleanField(
        label=gettext_lazy("Only buyers of this product may vote"), required=False
    )

    def clean_product(self) -> int | None:
        value = (self.cleaned_data.get("product") or "").strip().rstrip("/")
        if not value:
            return None
        slug = value.rsplit("/", 1)[-1]
        product_id = selectors.product_id_for_slug(slug=slug)
        if product_id is None:
            raise forms.ValidationError(_("No product at this address."))
        return product_id


FIELD_NAMES = set(PollForm.base_fields)


@require_safe
def poll_list(request: HttpRequest) -> HttpResponse:
    page = selectors.poll_page(user=request.user, page=request.GET.get("page"))
    polls = list(page.object_list)
    states = selectors.poll_states(polls=polls, user=request.user)
    authors = selectors.poll_authors(polls=polls)
    rows = [(states[p.pk], authors.get(p.author_id)) for p in polls]
    return render(request, "community/polls/list.html", {"page": page, "rows": rows})


def _poll_or_404(request: HttpRequest, poll_id: int) -> Poll:
    poll = selectors.poll_get(poll_id=poll_id, user=request.user)
    if poll is None:
        raise Http404(_("No such poll."))
    return poll


def _poll_context(request: HttpRequest, poll: Poll, **extra) -> dict:
    state = selectors.poll_states(polls=[poll], user=request.user)[poll.pk]
    author = selectors.poll_authors(polls=[poll]).get(poll.author_id)
    return {"poll": poll, "state": state, "author": author, **extra}


@require_safe
def poll_detail(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_or_404(request, poll_id)
    return render(request, "community/polls/detail.html", _poll_context(request, poll))


def _after_action(request: HttpRequest, poll: Poll, *, error: str = "", notice: str = ""):
    """htmx: the poll again, in place, with the message; otherwise a
    redirect back to the page the form was on."""
    if request.htmx:
        fresh = _poll_or_404(request, poll.pk)
        back = safe_next(request, fresh.get_absolute_url())
        context = _poll_context(
            request,
            fresh,
            poll_error=error,
            poll_notice=notice,
            next=back,
            # on another page (the list, a thread) the title links to the poll
            link_title=back.split("?", 1)[0] != fresh.get_absolute_url(),
        )
        return render(request, "community/polls/_poll.html", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(safe_next(request, poll.get_absolute_url()))


@require_POST
@login_required
def poll_vote(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_or_404(request, poll_id)
    raw = request.POST.getlist("option")
    if not all(value.isdigit() for value in raw):
        return _after_action(request, poll, error=_("Choose among this poll's options."))
    try:
        result = services.poll_vote(
            poll=poll, voter=request.user, option_ids=[int(value) for value in raw]
        )
    except ApplicationError as error:
        return _after_action(request, poll, error=error.message)
    if not result.changed:
        notice = _("Your vote is unchanged.")
    elif result.first_vote:
        notice = _("Thank you for voting.")
    else:
        notice = _("Your vote was changed.")
    return _after_action(request, poll, notice=notice)


@require_POST
@login_required
def poll_close(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_or_404(request, poll_id)
    try:
        services.poll_close(poll=poll, actor=request.user)
    except ApplicationError as error:
        return _after_action(request, poll, error=error.message)
    return _after_action(request, poll, notice=_("The poll is closed."))


def _thread_for_poll(request: HttpRequest):
    from community.selectors.forums import thread_for_view, thread_viewable

    raw = request.POST.get("thread") or request.GET.get("thread") or ""
    if not raw.isdigit():
        return None
    thread = thread_for_view(thread_id=int(raw))
    if thread is None or not thread_viewable(thread, request.user):
        raise Http404(_("No such thread."))
    return thread


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def poll_create(request: HttpRequest) -> HttpResponse:
    form = PollForm(request.POST or None)
    thread = _thread_for_poll(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            poll = services.poll_create(
                author=request.user,
                title=data["title"],
                body_md=data["body_md"],
                options=data["options"].splitlines(),
                poll_type=data["poll_type"],
                min_choices=data["min_choices"],
                max_choices=data["max_choices"],
                results=data["results"],
                public_voters=data["public_voters"],
                owners_only=data["owners_only"],
                product_id=data["product"],
                close_at=data["close_at"],
                thread=thread,
            )
        except ApplicationError as error:
            fields = [name for name in error.extra if name in FIELD_NAMES]
            form.add_error(fields[0] if fields else None, error.message)
        else:
            if poll.is_public:
                messages.success(request, _("Your poll is published."))
            else:
                messages.success(
                    request, _("Thank you. Your poll will appear once a moderator approves it.")
                )
            return redirect(thread.get_absolute_url() if thread else poll.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request, "community/polls/form.html", {"form": form, "thread": thread}, status=status
    )


urlpatterns = [
    path("polls/", poll_list, name="polls"),
    path("polls/new/", poll_create, name="poll_create"),
    path("polls/<int:poll_id>/", poll_detail, name="poll"),
    path("polls/<int:poll_id>/vote/", poll_vote, name="poll_vote"),
    path("polls/<int:poll_id>/close/", poll_close, name="poll_close"),
]
