"""Poll pages: the list, one poll with its vote form and results, the form
for a new poll (each option may link a shop product), the edit form of the
question and text, and the vote and close actions (htmx swaps the poll in
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
from community.models.polls import OPTION_LABEL_MAX, OPTIONS_MAX, OPTIONS_MIN, TITLE_MAX
from community.selectors import polls as selectors
from community.services import polls as services
from community.services.moderation import content_can_edit
from community.views.moderation import safe_next
from core.exceptions import ApplicationError

OPTION_ROWS_SHOWN = 4  # rows open at first; the others under "More options"


def _product_slug(value: str) -> str:
    """A product's slug from its address (or the slug itself)."""
    value = value.strip().split("#", 1)[0].split("?", 1)[0].rstrip("/")
    return value.rsplit("/", 1)[-1]


class PollForm(forms.Form):
    """The poll's fields, with one row per option (`option_<n>`, and
    `option_<n>_product` for the product it links): empty rows are left
    out, the service counts and compares the others."""

    title = forms.CharField(label=gettext_lazy("Question"), max_length=TITLE_MAX)
    body_md = forms.CharField(
        label=gettext_lazy("Introduction (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Markdown: **bold**, *italic*, lists and links."),
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Refusals of the options as a whole (count, twice the same), shown
        # at the top of the options.
        self.option_errors: list[str] = []
        for n in range(1, OPTIONS_MAX + 1):
            self.fields[f"option_{n}"] = forms.CharField(
                label=_("Option %(number)d") % {"number": n},
                required=False,
                max_length=OPTION_LABEL_MAX,
            )
            self.fields[f"option_{n}_product"] = forms.CharField(
                label=_("Product for option %(number)d (optional)") % {"number": n},
                required=False,
                max_length=200,
            )

    # ---------------------------------------------------------- rendering
    def _rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"option_{n}"], self[f"option_{n}_product"]) for n in range(1, OPTIONS_MAX + 1)
        ]

    def _shown_count(self) -> int:
        """The first rows, and every row up to the last one filled in."""
        last = 0
        if self.is_bound:
            for n in range(1, OPTIONS_MAX + 1):
                if (
                    self.data.get(f"option_{n}", "").strip()
                    or self.data.get(f"option_{n}_product", "").strip()
                ):
                    last = n
        return max(OPTION_ROWS_SHOWN, min(last + 1, OPTIONS_MAX))

    def option_rows(self):
        return self._rows()[: self._shown_count()]

    def more_option_rows(self):
        return self._rows()[self._shown_count() :]

    def other_fields(self):
        """The fields after the options, in their order."""
        return [
            self[name]
            for name in self.fields
            if name not in ("title", "body_md") and not name.startswith("option_")
        ]

    # --------------------------------------------------------- validation
    def clean_product(self) -> int | None:
        value = self.cleaned_data.get("product") or ""
        if not value.strip():
            return None
        product_id = selectors.product_id_for_slug(slug=_product_slug(value))
        if product_id is None:
            raise forms.ValidationError(_("No product at this address."))
        return product_id

    def clean(self) -> dict:
        data = super().clean()
        rows = []
        for n in range(1, OPTIONS_MAX + 1):
            label = data.get(f"option_{n}") or ""
            product = (data.get(f"option_{n}_product") or "").strip()
            if product and not label.strip() and f"option_{n}" not in self.errors:
                self.add_error(
                    f"option_{n}", _("Give this option a label, or leave its product empty.")
                )
            rows.append((n, label, _product_slug(product) if product else ""))
        found = selectors.product_ids_for_slugs(slugs={slug for _n, _l, slug in rows if slug})
        options = []
        for n, label, slug in rows:
            if slug and slug not in found:
                self.add_error(f"option_{n}_product", _("No product at this address."))
            options.append(services.OptionInput(label=label, product_id=found.get(slug)))
        data["options"] = options
        return data

    def add_service_error(self, error: ApplicationError) -> None:
        """Show a refusal of the poll service at the field it names."""
        fields = [name for name in error.extra if name in self.fields or name == "options"]
        field = fields[0] if fields else None
        if field == "options":
            self.option_errors.append(error.message)
        else:
            self.add_error(field, error.message)


class PollEditForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Question"), max_length=TITLE_MAX)
    body_md = forms.CharField(
        label=gettext_lazy("Introduction (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Markdown: **bold**, *italic*, lists and links."),
    )


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
                options=data["options"],
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
            form.add_service_error(error)
        else:
            if poll.is_public:
                messages.success(request, _("Your poll is published."))
            else:
                messages.success(
                    request, _("Thank you. Your poll will appear once a moderator approves it.")
                )
            return redirect(thread.get_absolute_url() if thread else poll.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "thread": thread,
        "options_min": OPTIONS_MIN,
        "options_max": OPTIONS_MAX,
    }
    return render(request, "community/polls/form.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def poll_edit(request: HttpRequest, poll_id: int) -> HttpResponse:
    """The question and text, for the poll's author within the edit window
    and moderators (the same service as the API's PATCH)."""
    poll = _poll_or_404(request, poll_id)
    if not content_can_edit(user=request.user, content=poll):
        if poll.author_id == request.user.pk:
            messages.error(request, _("You can no longer edit this poll."))
        else:
            messages.error(request, _("Only the poll's author or a moderator can edit it."))
        return redirect(poll.get_absolute_url())
    initial = {"title": poll.title, "body_md": poll.body_md}
    form = PollEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.poll_edit(
                    poll=poll,
                    editor=request.user,
                    title=form.cleaned_data["title"],
                    body_md=form.cleaned_data["body_md"],
                )
            except ApplicationError as error:
                fields = [name for name in error.extra if name in form.fields]
                form.add_error(fields[0] if fields else None, error.message)
                if error.status_code in (403, 404):
                    status = error.status_code
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect(poll.get_absolute_url())
    return render(request, "community/polls/edit.html", {"form": form, "poll": poll}, status=status)


urlpatterns = [
    path("polls/", poll_list, name="polls"),
    path("polls/new/", poll_create, name="poll_create"),
    path("polls/<int:poll_id>/", poll_detail, name="poll"),
    path("polls/<int:poll_id>/edit/", poll_edit, name="poll_edit"),
    path("polls/<int:poll_id>/vote/", poll_vote, name="poll_vote"),
    path("polls/<int:poll_id>/close/", poll_close, name="poll_close"),
]
