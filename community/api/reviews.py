"""Reviews through the API: a product's reviews (sorted and filtered as on
the site), writing, editing and deleting one's own review, adding a photo,
and helpful votes. Hidden and pending reviews are seen by their author and
moderators only."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Review
from community.models.reviews import BODY_MAX, TITLE_MAX
from community.permissions import is_moderator
from community.selectors import reviews as selectors
from community.services import reviews as services
from core.api.schema import AUTH_ERRORS, NOT_FOUND, WRITE_ERRORS
from core.api.serializers import StrictInputSerializer
from shop import selectors as shop_selectors

REVIEW_EXAMPLE = {
    "id": 12,
    "product_id": 7,
    "stars": 5,
    "title": "Harum dan segar",
    "body_html": "<p>Kopi paling enak yang pernah saya coba.</p>",
    "status": "published",
    "verified_buyer": True,
    "helpful_count": 3,
    "author": {"id": 4, "name": "Dewi Lestari", "handle": "dewi_lestari"},
    "photos": [
        {"id": 2, "url": "/media/reviews/12/a.webp", "thumb_url": "/media/reviews/12/b.webp"}
    ],
    "reply_html": "<p>Terima kasih, Dewi!</p>",
    "replied_at": "2026-11-20T09:00:00+07:00",
    "incentivised": False,
    "edited": False,
    "created_at": "2026-11-18T10:00:00+07:00",
}


@extend_schema_serializer(component_name="CommunityReviewAuthor")
class AuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    handle = serializers.CharField(allow_blank=True)


@extend_schema_serializer(component_name="CommunityReviewPhotoOut")
class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    thumb_url = serializers.CharField()


@extend_schema_serializer(component_name="CommunityReview")
class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    stars = serializers.IntegerField()
    title = serializers.CharField()
    body_html = serializers.CharField()
    status = serializers.CharField()
    verified_buyer = serializers.BooleanField()
    helpful_count = serializers.IntegerField()
    author = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    reply_html = serializers.CharField()
    replied_at = serializers.DateTimeField(allow_null=True)
    incentivised = serializers.SerializerMethodField()
    edited = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_author(self, review) -> AuthorSerializer:
        line = getattr(review, "author_line", None)
        return {
            "id": review.author_id,
            "name": line.name if line else review.author.public_name,
            "handle": line.handle if line else "",
        }

    def get_photos(self, review) -> PhotoSerializer(many=True):
        return [
            {"id": p.pk, "url": p.image.url, "thumb_url": p.thumb.url if p.thumb else p.image.url}
            for p in getattr(review, "public_photos", [])
        ]

    def get_incentivised(self, review) -> bool:
        return bool(getattr(review, "incentivised", False))

    def get_edited(self, review) -> bool:
        return review.edited_at is not None


def _product(slug: str, user):
    product = shop_selectors.product_get_for_page(slug=slug, user=user)
    if product is None:
        raise Http404(_("No such product."))
    return product


def _review_for(request, review_id: int) -> Review:
    review = selectors.review_for_viewer(review_id=review_id, user=request.user)
    if review is None:
        raise Http404(_("No such review."))
    return review


def _own_or_moderator(request, review: Review) -> None:
    if review.author_id != request.user.pk and not is_moderator(request.user):
        raise Http404(_("No such review."))


def _out(review: Review, request) -> dict:
    fresh = selectors.review_for_viewer(review_id=review.pk, user=request.user)
    selectors.review_page(reviews=[fresh], product_id=fresh.product_id)
    return ReviewSerializer(fresh).data


LIST_PARAMETERS = [
    OpenApiParameter("sort", str, enum=list(selectors.SORTS), description="Default: helpful."),
    OpenApiParameter("stars", int, enum=[1, 2, 3, 4, 5], description="Only this many stars."),
    OpenApiParameter("photos", bool, description="Only reviews with photos."),
    OpenApiParameter("verified", bool, description="Only verified buyers' reviews."),
]


class ProductReviewListApi(generics.ListAPIView):
    """A product's published reviews, plus the caller's own in any status
    (create one with POST)."""

    permission_classes = [AllowAny]
    serializer_class = ReviewSerializer
    filter_backends: list = []
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema_serializer(component_name="CommunityReviewCreate")
    class InputSerializer(StrictInputSerializer):
        stars = serializers.IntegerField(min_value=1, max_value=5)
        title = serializers.CharField(max_length=TITLE_MAX)
        body = serializers.CharField(max_length=BODY_MAX)

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        product = _product(self.kwargs["slug"], self.request.user)
        return selectors.product_reviews(
            product_id=product.pk, filters=selectors.filters_from(self.request.query_params)
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page:
            selectors.review_page(reviews=page, product_id=page[0].product_id)
        return page

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses={200: ReviewSerializer(many=True), **NOT_FOUND},
        examples=[OpenApiExample("A page of reviews", value=REVIEW_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: ReviewSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Review a product",
                value={"stars": 5, "title": "Harum dan segar", "body": "Kopi paling enak."},
                request_only=True,
            ),
            OpenApiExample(
                "Written", value=REVIEW_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
    )
    def post(self, request, slug: str):
        product = _product(slug, request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_create(
            user=request.user,
            product=product,
            stars=data.validated_data["stars"],
            title=data.validated_data["title"],
            body=data.validated_data["body"],
        )
        return Response(_out(review, request), status=status.HTTP_201_CREATED)


class ReviewDetailApi(APIView):
    """One review: read (public, or the author's or a moderator's), edit or
    delete (the author within the edit window, or a moderator)."""

    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="CommunityReviewEdit")
    class InputSerializer(StrictInputSerializer):
        stars = serializers.IntegerField(min_value=1, max_value=5)
        title = serializers.CharField(max_length=TITLE_MAX)
        body = serializers.CharField(max_length=BODY_MAX)

    def get_permissions(self):
        if self.request.method in ("PUT", "DELETE"):
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        responses={200: ReviewSerializer, **NOT_FOUND},
        examples=[OpenApiExample("A review", value=REVIEW_EXAMPLE, response_only=True)],
    )
    def get(self, request, review_id: int):
        return Response(_out(_review_for(request, review_id), request))

    @extend_schema(
        request=InputSerializer,
        responses={200: ReviewSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Change the stars and text",
                value={"stars": 4, "title": "Enak", "body": "Sedikit terlalu asam."},
                request_only=True,
            )
        ],
    )
    def put(self, request, review_id: int):
        review = _review_for(request, review_id)
        _own_or_moderator(request, review)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_edit(
            review=review,
            editor=request.user,
            stars=data.validated_data["stars"],
            title=data.validated_data["title"],
            body=data.validated_data["body"],
        )
        return Response(_out(review, request))

    @extend_schema(responses={204: None, **AUTH_ERRORS, **NOT_FOUND, 429: WRITE_ERRORS[429]})
    def delete(self, request, review_id: int):
        review = _review_for(request, review_id)
        _own_or_moderator(request, review)
        services.review_delete(review=review, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewPhotoCreateApi(APIView):
    """Add a photo (JPEG, PNG, WebP or GIF; at most 5 per review) to one's
    own review. It is re-encoded, and moderated on its own."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema_serializer(component_name="CommunityReviewPhoto")
    class InputSerializer(StrictInputSerializer):
        image = serializers.FileField()

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: ReviewSerializer, **WRITE_ERRORS, **NOT_FOUND},
    )
    def post(self, request, review_id: int):
        review = _review_for(request, review_id)
        _own_or_moderator(request, review)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_edit(
            review=review,
            editor=request.user,
            stars=review.stars,
            title=review.title,
            body=review.body_md,
            add_photos=[data.validated_data["image"]],
        )
        return Response(_out(review, request), status=status.HTTP_201_CREATED)


class ReviewVoteApi(APIView):
    """Mark a review helpful (POST; a second vote is refused with 422) or
    withdraw the vote (DELETE)."""

    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CommunityReviewVote")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        helpful_count = serializers.IntegerField()
        voted = serializers.BooleanField()

    @extend_schema(
        request=None,
        responses={201: OutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Voted",
                value={"id": 12, "helpful_count": 4, "voted": True},
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request, review_id: int):
        review = services.review_vote(review_id=review_id, voter=request.user)
        body = {"id": review.pk, "helpful_count": review.helpful_count, "voted": True}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OutputSerializer, **WRITE_ERRORS, **NOT_FOUND})
    def delete(self, request, review_id: int):
        review = services.review_vote_withdraw(review_id=review_id, voter=request.user)
        body = {"id": review.pk, "helpful_count": review.helpful_count, "voted": False}
        return Response(self.OutputSerializer(body).data)


urlpatterns = [
    path(
        "products/<slug:slug>/reviews/",
        ProductReviewListApi.as_view(),
        name="community-product-reviews",
    ),
    path("reviews/<int:review_id>/", ReviewDetailApi.as_view(), name="community-review"),
    path(
        "reviews/<int:review_id>/photos/",
        ReviewPhotoCreateApi.as_view(),
        name="community-review-photos",
    ),
    path("reviews/<int:review_id>/vote/", ReviewVoteApi.as_view(), name="community-review-vote"),
]
