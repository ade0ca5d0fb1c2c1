"""Questions and answers through the API: the same selectors and services
as the site. Content others may not see (waiting for approval, hidden,
deleted) is a 404 for them; its author and moderators see it."""

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
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Answer, ContentStatus, Question
from community.models.qa import BODY_MAX, TITLE_MAX
from community.selectors import qa as selectors
from community.selectors.members import authors_for
from community.services import qa as services
from core.api.schema import AUTH_ERRORS, NOT_FOUND, WRITE_ERRORS
from core.api.serializers import StrictInputSerializer
from shop import selectors as shop_selectors

STATUS_HELP = (
    "published; or, seen only by its author and moderators: pending (waiting for "
    "approval) or hidden."
)
AUTHOR = {"id": 12, "name": "Dewi L.", "handle": "dewi_lestari"}
PRODUCT = {"id": 7, "slug": "batik-tulis-parang", "name": "Batik Tulis Parang"}
ANSWER_EXAMPLE = {
    "id": 31,
    "question_id": 5,
    "body": "Yes, it is hand-drawn: you can see the wax lines on the back.",
    "body_html": "<p>Yes, it is hand-drawn: you can see the wax lines on the back.</p>",
    "status": "published",
    "author": AUTHOR,
    "score": 3,
    "my_vote": 0,
    "verified_owner": True,
    "official": False,
    "is_accepted": True,
    "created_at": "2026-11-20T09:30:00+07:00",
    "edited_at": None,
}
QUESTION_EXAMPLE = {
    "id": 5,
    "title": "Is the batik hand-drawn or printed?",
    "body": "The photos look hand-drawn but I want to be sure.",
    "body_html": "<p>The photos look hand-drawn but I want to be sure.</p>",
    "status": "published",
    "url": "https://shop.example/community/questions/5/is-the-batik-hand-drawn-or-printed/",
    "product": PRODUCT,
    "author": {"id": 9, "name": "Budi S.", "handle": "budi_santoso"},
    "answer_count": 2,
    "accepted_answer_id": 31,
    "closed_as_duplicate_of_id": None,
    "created_at": "2026-11-19T20:05:00+07:00",
    "last_activity_at": "2026-11-20T09:30:00+07:00",
}


@extend_schema_serializer(component_name="CommunityAuthor")
class AuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    handle = serializers.CharField(help_text="The @handle, empty for a deleted account.")


@extend_schema_serializer(component_name="CommunityProductRef")
class ProductRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


def _author(authors: dict, user_id: int) -> dict:
    author = authors.get(user_id)
    if author is None:
        return {"id": user_id, "name": "", "handle": ""}
    return {"id": user_id, "name": author.name, "handle": author.handle}


@extend_schema_serializer(component_name="CommunityAnswer")
class AnswerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    body = serializers.CharField(source="body_md")
    body_html = serializers.CharField()
    # A plain string: an enum named after "status" would rename the shop's.
    status = serializers.CharField(help_text=STATUS_HELP)
    author = serializers.SerializerMethodField()
    score = serializers.IntegerField()
    my_vote = serializers.SerializerMethodField(help_text="Your vote: 1, -1, or 0 for none.")
    verified_owner = serializers.BooleanField(help_text="The author bought the product.")
    official = serializers.BooleanField(help_text="Answered by the shop's staff.")
    is_accepted = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)

    def get_author(self, answer) -> AuthorSerializer:
        return _author(self.context.get("authors", {}), answer.author_id)

    def get_my_vote(self, answer) -> int:
        return self.context.get("votes", {}).get(answer.pk, 0)


@extend_schema_serializer(component_name="CommunityQuestion")
class QuestionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(source="body_md")
    body_html = serializers.CharField()
    # A plain string: an enum named after "status" would rename the shop's.
    status = serializers.CharField(help_text=STATUS_HELP)
    url = serializers.SerializerMethodField()
    product = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    answer_count = serializers.IntegerField()
    accepted_answer_id = serializers.IntegerField(allow_null=True)
    closed_as_duplicate_of_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()

    def get_url(self, question) -> str:
        request = self.context.get("request")
        url = question.get_absolute_url()
        return request.build_absolute_uri(url) if request else url

    def get_product(self, question) -> ProductRefSerializer(allow_null=True):  # type: ignore[valid-type]
        product = question.product
        if product is None:
            return None
        return {"id": product.pk, "slug": product.slug, "name": product.name}

    def get_author(self, question) -> AuthorSerializer:
        return _author(self.context.get("authors", {}), question.author_id)


@extend_schema_serializer(component_name="CommunityQuestionDetail")
class QuestionDetailOutputSerializer(QuestionOutputSerializer):
    answers = serializers.SerializerMethodField()

    def get_answers(self, question) -> AnswerOutputSerializer(many=True):  # type: ignore[valid-type]
        return AnswerOutputSerializer(
            self.context.get("answers", []), many=True, context=self.context
        ).data


def _question_or_404(request, pk: int) -> Question:
    question = selectors.question_for_page(pk=pk, user=request.user)
    if question is None:
        raise Http404(_("No such question."))
    return question


def _answer_or_404(request, pk: int) -> Answer:
    answer = (
        Answer.objects.select_related("question__product", "author")
        .filter(pk=pk)
        .exclude(status=ContentStatus.REMOVED)
        .first()
    )
    if (
        answer is None
        or not answer.viewable_by(request.user)
        or not answer.question.viewable_by(request.user)
    ):
        raise Http404(_("No such answer."))
    return answer


def _question_detail(request, question: Question, *, status_code: int = 200) -> Response:
    answers = selectors.question_answers(question=question, user=request.user)
    authors = authors_for(users=[question.author, *(a.author for a in answers)])
    context = {
        "request": request,
        "authors": authors,
        "answers": answers,
        "votes": selectors.member_votes(user=request.user, answer_ids=[a.pk for a in answers]),
    }
    return Response(
        QuestionDetailOutputSerializer(question, context=context).data, status=status_code
    )


def _answer_response(request, answer: Answer, *, status_code: int = 200) -> Response:
    answer = Answer.objects.select_related("author").get(pk=answer.pk)
    context = {
        "authors": authors_for(users=[answer.author]),
        "votes": selectors.member_votes(user=request.user, answer_ids=[answer.pk]),
    }
    return Response(AnswerOutputSerializer(answer, context=context).data, status=status_code)


# ---------------------------------------------------------------- questions
class QuestionListApi(generics.ListAPIView):
    """Questions, newest first (or most active): all, a product's, or the
    unanswered ones. POST asks a new question."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = QuestionOutputSerializer
    filter_backends: list = []
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="CommunityQuestionFilters")
    class FilterSerializer(StrictInputSerializer):
        product = serializers.CharField(
            required=False, max_length=140, help_text="A product's slug: its questions only."
        )
        unanswered = serializers.BooleanField(
            required=False, default=False, help_text="Only questions without an answer."
        )
        sort = serializers.ChoiceField(
            choices=[("newest", "newest"), ("active", "active")], required=False
        )

    @extend_schema_serializer(component_name="CommunityQuestionCreate")
    class InputSerializer(StrictInputSerializer):
        title = serializers.CharField(max_length=TITLE_MAX, help_text="10 to 200 characters.")
        body = serializers.CharField(
            max_length=BODY_MAX, required=False, allow_blank=True, help_text="Markdown."
        )
        product = serializers.CharField(
            max_length=140,
            required=False,
            help_text="A product's slug; none for a general question.",
        )

    def get_queryset(self):
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        product_id = None
        if data.get("product"):
            product = (
                shop_selectors.product_visible_queryset(user=self.request.user)
                .filter(slug=data["product"])
                .only("pk")
                .first()
            )
            if product is None:
                return Question.objects.none()
            product_id = product.pk
        filters = selectors.QuestionFilters(
            show="unanswered" if data.get("unanswered") else "",
            sort=data.get("sort") or "newest",
            product_id=product_id,
        )
        return selectors.question_list(user=self.request.user, filters=filters)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        authors = authors_for(users=[q.author for q in page])
        serializer = QuestionOutputSerializer(
            page, many=True, context={"request": request, "authors": authors}
        )
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: QuestionOutputSerializer(many=True)},
        examples=[
            OpenApiExample(
                "A page of questions",
                value={"count": 1, "next": None, "previous": None, "results": [QUESTION_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: QuestionDetailOutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "A product question",
                value={
                    "title": "Is the batik hand-drawn or printed?",
                    "body": "The photos look hand-drawn but I want to be sure.",
                    "product": "batik-tulis-parang",
                },
                request_only=True,
            ),
            OpenApiExample(
                "A general question",
                value={"title": "How long does shipping to Medan take?"},
                request_only=True,
            ),
            OpenApiExample(
                "Asked",
                value={
                    **QUESTION_EXAMPLE,
                    "answer_count": 0,
                    "accepted_answer_id": None,
                    "answers": [],
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = None
        if data.validated_data.get("product"):
            product = (
                shop_selectors.product_visible_queryset(user=request.user)
                .filter(slug=data.validated_data["product"])
                .first()
            )
            if product is None:
                raise Http404(_("No such product."))
        question = services.question_ask(
            author=request.user,
            title=data.validated_data["title"],
            body=data.validated_data.get("body", ""),
            product=product,
        )
        question = selectors.question_for_page(pk=question.pk, user=request.user)
        return _question_detail(request, question, status_code=status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    """A question with the answers you may see (accepted first, then by
    score). PATCH edits and DELETE deletes your own (moderators: any)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="CommunityQuestionUpdate")
    class InputSerializer(StrictInputSerializer):
        title = serializers.CharField(max_length=TITLE_MAX, required=False)
        body = serializers.CharField(max_length=BODY_MAX, required=False, allow_blank=True)

    @extend_schema(
        responses={200: QuestionDetailOutputSerializer, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "A question with its answers",
                value={**QUESTION_EXAMPLE, "answers": [ANSWER_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, pk: int):
        return _question_detail(request, _question_or_404(request, pk))

    @extend_schema(
        request=InputSerializer,
        responses={200: QuestionDetailOutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "A clearer title",
                value={"title": "Is this batik tulis (hand-drawn) or cap (stamped)?"},
                request_only=True,
            )
        ],
    )
    def patch(self, request, pk: int):
        question = _question_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.question_edit(
            question=question,
            editor=request.user,
            title=data.validated_data.get("title", question.title),
            body=data.validated_data.get("body", question.body_md),
        )
        return _question_detail(request, _question_or_404(request, pk))

    @extend_schema(responses={204: None, **AUTH_ERRORS, **NOT_FOUND, 429: WRITE_ERRORS[429]})
    def delete(self, request, pk: int):
        services.question_delete(question=_question_or_404(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------ answers
class AnswerCreateApi(APIView):
    """Answer a question (not one closed as a duplicate)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="CommunityAnswerCreate")
    class InputSerializer(StrictInputSerializer):
        body = serializers.CharField(max_length=BODY_MAX, help_text="Markdown.")

    @extend_schema(
        request=InputSerializer,
        responses={201: AnswerOutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "An answer",
                value={"body": "Yes, it is hand-drawn: you can see the wax lines on the back."},
                request_only=True,
            ),
            OpenApiExample(
                "Posted",
                value={**ANSWER_EXAMPLE, "score": 0, "is_accepted": False},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request, pk: int):
        question = _question_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.answer_post(
            question=question, author=request.user, body=data.validated_data["body"]
        )
        return _answer_response(request, answer, status_code=status.HTTP_201_CREATED)


class AnswerDetailApi(APIView):
    """Edit (PATCH) or delete your own answer; moderators: any."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="CommunityAnswerUpdate")
    class InputSerializer(StrictInputSerializer):
        body = serializers.CharField(max_length=BODY_MAX)

    @extend_schema(
        request=InputSerializer,
        responses={200: AnswerOutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "A corrected answer",
                value={"body": "Yes, it is batik tulis: hand-drawn with a canting."},
                request_only=True,
            )
        ],
    )
    def patch(self, request, pk: int):
        answer = _answer_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.answer_edit(
            answer=answer, editor=request.user, body=data.validated_data["body"]
        )
        return _answer_response(request, answer)

    @extend_schema(responses={204: None, **AUTH_ERRORS, **NOT_FOUND, 429: WRITE_ERRORS[429]})
    def delete(self, request, pk: int):
        services.answer_delete(answer=_answer_or_404(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnswerVoteApi(APIView):
    """Vote on an answer: 1 (useful), -1 (not useful), 0 withdraws your
    vote. Not on your own answers."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="CommunityAnswerVote")
    class InputSerializer(StrictInputSerializer):
        value = serializers.IntegerField(
            min_value=-1, max_value=1, help_text="1 useful, -1 not useful, 0 withdraws."
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: AnswerOutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("Vote up", value={"value": 1}, request_only=True),
            OpenApiExample("Withdraw the vote", value={"value": 0}, request_only=True),
        ],
    )
    def post(self, request, pk: int):
        answer = _answer_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.answer_vote(
            answer=answer, voter=request.user, value=data.validated_data["value"]
        )
        return _answer_response(request, answer)


class AnswerAcceptApi(APIView):
    """The asker (or a moderator) accepts an answer (POST), replacing the
    one accepted before, or takes the acceptance back (DELETE)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: AnswerOutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
    )
    def post(self, request, pk: int):
        answer = services.answer_accept(answer=_answer_or_404(request, pk), user=request.user)
        return _answer_response(request, answer)

    @extend_schema(
        responses={
            200: OpenApiResponse(AnswerOutputSerializer, description="No longer accepted."),
            **WRITE_ERRORS,
            **NOT_FOUND,
        },
    )
    def delete(self, request, pk: int):
        answer = services.answer_unaccept(answer=_answer_or_404(request, pk), user=request.user)
        return _answer_response(request, answer)


urlpatterns = [
    path("questions/", QuestionListApi.as_view(), name="community-questions"),
    path("questions/<int:pk>/", QuestionDetailApi.as_view(), name="community-question"),
    path("questions/<int:pk>/answers/", AnswerCreateApi.as_view(), name="community-answers"),
    path("answers/<int:pk>/", AnswerDetailApi.as_view(), name="community-answer"),
    path("answers/<int:pk>/vote/", AnswerVoteApi.as_view(), name="community-answer-vote"),
    path("answers/<int:pk>/accept/", AnswerAcceptApi.as_view(), name="community-answer-accept"),
]
