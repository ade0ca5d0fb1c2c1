"""Polls through the API: list, read, create (in a forum thread too), vote
(or change a vote), edit the text and close. Results (counts, percentages, voters of a public poll)
are in an answer only when the rule of the poll shows them to the requester;
a secret poll never says who voted."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Poll
from community.models.polls import OPTION_LABEL_MAX, OPTIONS_MAX, TITLE_MAX
from community.selectors import polls as selectors
from community.services import polls as services
from core.api.pagination import DefaultPagination
from core.api.schema import NOT_FOUND, WRITE_ERRORS, Error
from core.api.serializers import StrictInputSerializer
from core.exceptions import ApplicationError

CLOSED = {409: OpenApiResponse(Error, description="The poll is closed (code closed).")}
POLL_EXAMPLE = {
    "id": 12,
    "url": "https://shop.example/community/polls/12/",
    "title": "Which sambal next?",
    "body_html": "<p>Which one would you buy first?</p>",
    "status": "published",
    "author": {"id": 3, "name": "Sari", "handle": "sari"},
    "type": "single",
    "min_choices": 1,
    "max_choices": 1,
    "results": "always",
    "public_voters": True,
    "owners_only": False,
    "product": None,
    "thread": None,
    "close_at": None,
    "closed_at": None,
    "is_closed": False,
    "voter_count": 3,
    "results_visible": True,
    "can_vote": True,
    "my_option_ids": [41],
    "options": [
        {
            "id": 41,
            "label": "Sambal Andaliman",
            "position": 1,
            "product": None,
            "votes": 2,
            "percent": 67,
            "voters": [{"id": 5, "name": "Budi Santoso", "handle": "budi_santoso"}],
        },
        {
            "id": 42,
            "label": "Sambal Dabu-dabu",
            "position": 2,
            "product": None,
            "votes": 1,
            "percent": 33,
            "voters": [{"id": 6, "name": "Agus Pratama", "handle": "agus_pratama"}],
        },
    ],
    "created_at": "2026-11-20T09:00:00+07:00",
}


@extend_schema_serializer(component_name="CommunityPollPerson")
class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    handle = serializers.CharField()


@extend_schema_serializer(component_name="CommunityPollProduct")
class ProductRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()


@extend_schema_serializer(component_name="CommunityPollOption")
class OptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    position = serializers.IntegerField()
    product = ProductRefSerializer(allow_null=True)
    votes = serializers.IntegerField(allow_null=True, help_text="Null while results are hidden.")
    percent = serializers.IntegerField(allow_null=True)
    voters = PersonSerializer(
        many=True, help_text="Public polls with visible results only: the latest voters."
    )


@extend_schema_serializer(component_name="CommunityPoll")
class PollSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    title = serializers.CharField()
    body_html = serializers.CharField()
    status = serializers.CharField()
    author = PersonSerializer()
    type = serializers.ChoiceField(choices=Poll.Type.choices)
    min_choices = serializers.IntegerField()
    max_choices = serializers.IntegerField()
    results = serializers.ChoiceField(choices=Poll.Results.choices)
    public_voters = serializers.BooleanField()
    owners_only = serializers.BooleanField()
    product = ProductRefSerializer(allow_null=True)
    thread = serializers.IntegerField(
        allow_null=True, help_text="The forum thread the poll is shown in, if any."
    )
    close_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    is_closed = serializers.BooleanField()
    voter_count = serializers.IntegerField()
    results_visible = serializers.BooleanField()
    can_vote = serializers.BooleanField()
    my_option_ids = serializers.ListField(child=serializers.IntegerField())
    options = OptionSerializer(many=True)
    created_at = serializers.DateTimeField()


def _product(request, product) -> dict | None:
    if product is None:
        return None
    return {
        "id": product.pk,
        "name": product.name,
        "url": request.build_absolute_uri(product.get_absolute_url()),
    }


def _person(author) -> dict:
    return {"id": author.user_id, "name": author.name, "handle": author.handle}


def poll_data(request, state: selectors.PollState, author) -> dict:
    poll = state.poll
    show = state.show_results
    return {
        "id": poll.pk,
        "url": request.build_absolute_uri(poll.get_absolute_url()),
        "title": poll.title,
        "body_html": poll.body_html,
        "status": poll.status,
        "author": _person(author),
        "type": poll.poll_type,
        "min_choices": poll.min_choices,
        "max_choices": poll.max_choices,
        "results": poll.results,
        "public_voters": poll.public_voters,
        "owners_only": poll.owners_only,
        "product": _product(request, poll.product),
        "thread": poll.thread_id,
        "close_at": poll.close_at,
        "closed_at": poll.closed_at,
        "is_closed": state.is_closed,
        "voter_count": state.voter_count,
        "results_visible": show,
        "can_vote": state.can_vote,
        "my_option_ids": sorted(state.chosen_ids),
        "options": [
            {
                "id": r.option.pk,
                "label": r.option.label,
                "position": r.option.position,
                "product": _product(request, r.option.product),
                "votes": r.votes if show else None,
                "percent": r.percent if show else None,
                "voters": [_person(v) for v in r.voters] if show and poll.public_voters else [],
            }
            for r in state.options
        ],
        "created_at": poll.created_at,
    }


def _one(request, poll: Poll) -> dict:
    state = selectors.poll_states(polls=[poll], user=request.user)[poll.pk]
    author = selectors.poll_authors(polls=[poll])[poll.author_id]
    return PollSerializer(poll_data(request, state, author)).data


def _get_or_404(request, poll_id: int) -> Poll:
    poll = selectors.poll_get(poll_id=poll_id, user=request.user)
    if poll is None:
        raise Http404(_("No such poll."))
    return poll


def _thread(request, thread_id: int | None):
    """The thread a new poll goes in, when the member may see it."""
    from community.selectors.forums import thread_for_view, thread_viewable

    if thread_id is None:
        return None
    thread = thread_for_view(thread_id=thread_id)
    if thread is None or not thread_viewable(thread, request.user):
        message = _("No such thread.")
        raise ApplicationError(message, code="no_thread", extra={"thread": [message]})
    return thread


class PollListCreateApi(APIView):
    """Polls, open ones first (GET); a new poll (POST)."""

    pagination_class = DefaultPagination
    parser_classes = [JSONParser]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema_serializer(component_name="CommunityPollCreate")
    class InputSerializer(StrictInputSerializer):
        @extend_schema_serializer(component_name="CommunityPollOptionInput")
        class OptionInput(StrictInputSerializer):
            label = serializers.CharField(max_length=OPTION_LABEL_MAX)
            product = serializers.IntegerField(min_value=1, required=False, allow_null=True)

        title = serializers.CharField(max_length=TITLE_MAX)
        body = serializers.CharField(max_length=5000, required=False, allow_blank=True)
        options = OptionInput(many=True, help_text="2 to 20 options, distinct labels.")
        type = serializers.ChoiceField(choices=Poll.Type.choices, default=Poll.Type.SINGLE)
        min_choices = serializers.IntegerField(
            min_value=0, max_value=OPTIONS_MAX, required=False, allow_null=True
        )
        max_choices = serializers.IntegerField(
            min_value=0, max_value=OPTIONS_MAX, required=False, allow_null=True
        )
        results = serializers.ChoiceField(choices=Poll.Results.choices, default=Poll.Results.ALWAYS)
        public_voters = serializers.BooleanField(default=False)
        owners_only = serializers.BooleanField(default=False)
        product = serializers.IntegerField(min_value=1, required=False, allow_null=True)
        close_at = serializers.DateTimeField(required=False, allow_null=True)
        thread = serializers.IntegerField(
            min_value=1,
            required=False,
            allow_null=True,
            help_text=(
                "A forum thread to show the poll in: yours and open for replies "
                "(a moderator's: any thread)."
            ),
        )

    @extend_schema(
        responses={200: PollSerializer(many=True)},
        examples=[
            OpenApiExample(
                "A page of polls",
                value={"count": 1, "next": None, "previous": None, "results": [POLL_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request):
        paginator = self.pagination_class()
        polls = paginator.paginate_queryset(selectors.poll_list(user=request.user), request, self)
        states = selectors.poll_states(polls=polls, user=request.user)
        authors = selectors.poll_authors(polls=polls)
        rows = [poll_data(request, states[p.pk], authors[p.author_id]) for p in polls]
        return paginator.get_paginated_response(PollSerializer(rows, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: PollSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "A multiple-choice poll with product options",
                value={
                    "title": "Which gifts would you wrap for Lebaran?",
                    "options": [
                        {"label": "Tas Rotan Bulat", "product": 31},
                        {"label": "Gula Aren Cair", "product": 48},
                        {"label": "Something else"},
                    ],
                    "type": "multiple",
                    "min_choices": 1,
                    "max_choices": 2,
                    "results": "on_vote",
                },
                request_only=True,
            ),
            OpenApiExample(
                "A poll in your forum thread",
                value={
                    "title": "Which day for the meetup?",
                    "options": [{"label": "Saturday"}, {"label": "Sunday"}],
                    "thread": 7,
                },
                request_only=True,
            ),
            OpenApiExample(
                "The poll", value=POLL_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        thread = _thread(request, values.get("thread"))
        poll = services.poll_create(
            author=request.user,
            title=values["title"],
            body_md=values.get("body", ""),
            options=[
                services.OptionInput(label=o["label"], product_id=o.get("product"))
                for o in values["options"]
            ],
            poll_type=values["type"],
            min_choices=values.get("min_choices"),
            max_choices=values.get("max_choices"),
            results=values["results"],
            public_voters=values["public_voters"],
            owners_only=values["owners_only"],
            product_id=values.get("product"),
            close_at=values.get("close_at"),
            thread=thread,
        )
        poll = _get_or_404(request, poll.pk)
        return Response(_one(request, poll), status=status.HTTP_201_CREATED)


class PollDetailApi(APIView):
    """One poll (GET); its author edits the question or text (PATCH) within
    the edit window, a moderator at any time."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema_serializer(component_name="CommunityPollEdit")
    class EditSerializer(StrictInputSerializer):
        title = serializers.CharField(max_length=TITLE_MAX, required=False)
        body = serializers.CharField(max_length=5000, required=False, allow_blank=True)

    @extend_schema(
        responses={200: PollSerializer, **NOT_FOUND},
        examples=[OpenApiExample("A poll", value=POLL_EXAMPLE, response_only=True)],
    )
    def get(self, request, poll_id: int):
        return Response(_one(request, _get_or_404(request, poll_id)))

    @extend_schema(
        request=EditSerializer,
        responses={200: PollSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Reword the question", value={"title": "Which sambal first?"}, request_only=True
            )
        ],
    )
    def patch(self, request, poll_id: int):
        poll = _get_or_404(request, poll_id)
        data = self.EditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.poll_edit(
            poll=poll,
            editor=request.user,
            title=data.validated_data.get("title"),
            body_md=data.validated_data.get("body"),
        )
        return Response(_one(request, _get_or_404(request, poll_id)))


class PollVoteApi(APIView):
    """Vote, or replace your vote: the ids of the options you choose."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="CommunityPollVoteInput")
    class InputSerializer(StrictInputSerializer):
        option_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), max_length=OPTIONS_MAX
        )

    @extend_schema_serializer(component_name="CommunityPollVoted")
    class OutputSerializer(serializers.Serializer):
        first_vote = serializers.BooleanField(help_text="False when the vote replaced one.")
        changed = serializers.BooleanField()
        poll = PollSerializer()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CLOSED},
        examples=[
            OpenApiExample("Vote for one option", value={"option_ids": [41]}, request_only=True),
            OpenApiExample(
                "Voted",
                value={"first_vote": True, "changed": True, "poll": POLL_EXAMPLE},
                response_only=True,
            ),
        ],
    )
    def post(self, request, poll_id: int):
        poll = _get_or_404(request, poll_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.poll_vote(
            poll=poll, voter=request.user, option_ids=data.validated_data["option_ids"]
        )
        body = {
            "first_vote": result.first_vote,
            "changed": result.changed,
            "poll": _one(request, _get_or_404(request, poll_id)),
        }
        return Response(body)


class PollCloseApi(APIView):
    """Close the poll now (its author or a moderator)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: PollSerializer, **WRITE_ERRORS, **NOT_FOUND, **CLOSED},
        examples=[
            OpenApiExample(
                "Closed",
                value={**POLL_EXAMPLE, "is_closed": True, "closed_at": "2026-11-27T10:00:00+07:00"},
                response_only=True,
            )
        ],
    )
    def post(self, request, poll_id: int):
        poll = _get_or_404(request, poll_id)
        services.poll_close(poll=poll, actor=request.user)
        return Response(_one(request, _get_or_404(request, poll_id)))


urlpatterns = [
    path("polls/", PollListCreateApi.as_view(), name="community-polls"),
    path("polls/<int:poll_id>/", PollDetailApi.as_view(), name="community-poll"),
    path("polls/<int:poll_id>/vote/", PollVoteApi.as_view(), name="community-poll-vote"),
    path("polls/<int:poll_id>/close/", PollCloseApi.as_view(), name="community-poll-close"),
]
