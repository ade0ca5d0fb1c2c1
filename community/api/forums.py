"""The forums through the API: categories, threads, posts, replies, edits,
deletions and likes. Reads are paginated and cost a fixed number of queries
per page; writes go through community.services.forums, so the API refuses
exactly what the site refuses, with the same messages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import ForumCategory, Post, PostLike, Thread
from community.selectors import forums as selectors
from community.selectors.members import authors_for
from community.services import forums as services
from core.api.pagination import DefaultPagination
from core.api.schema import NOT_FOUND, WRITE_ERRORS
from core.api.serializers import StrictInputSerializer


# ---------------------------------------------------------------- outputs
@extend_schema_serializer(component_name="ForumCategory")
class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    thread_count = serializers.IntegerField()
    post_count = serializers.IntegerField()
    last_post_at = serializers.DateTimeField(allow_null=True)
    product_id = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(component_name="ForumThread")
class ThreadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField(source="category.slug")
    title = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")
    author_id = serializers.IntegerField()
    product_id = serializers.IntegerField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), source="tag_names")
    pinned = serializers.BooleanField()
    locked = serializers.BooleanField()
    closed = serializers.BooleanField()
    status = serializers.CharField()
    reply_count = serializers.IntegerField()
    like_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    last_post_at = serializers.DateTimeField(allow_null=True)


AuthorSerializer = inline_serializer(
    name="ForumAuthor",
    fields={
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "handle": serializers.CharField(),
        "verified_owner": serializers.BooleanField(
            help_text="Bought the thread's product here (decided from paid orders)."
        ),
    },
)


@extend_schema_serializer(component_name="ForumPost")
class PostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread_id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="1 is the thread's opening post.")
    reply_to_number = serializers.IntegerField(allow_null=True)
    author = AuthorSerializer
    body_md = serializers.CharField()
    body_html = serializers.CharField(help_text="Sanitized HTML, @handles linked.")
    status = serializers.CharField()
    like_count = serializers.IntegerField()
    liked = serializers.BooleanField(help_text="The caller likes it.")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


def _thread_data(thread: Thread, tags: list[str]) -> dict:
    thread.tag_names = tags
    return ThreadSerializer(thread).data


def _threads_data(threads: list[Thread]) -> list[dict]:
    tags = selectors.thread_tags(t.pk for t in threads)
    return [_thread_data(t, [tag.name for tag in tags.get(t.pk, [])]) for t in threads]


def _posts_data(posts: list[Post], *, thread: Thread, user) -> list[dict]:
    """A page of posts: one query for author lines (two with a product),
    one for the caller's likes."""
    authors = authors_for(
        users=[p.author for p in posts],
        product_ids=[thread.product_id] if thread.product_id else [],
    )
    liked = (
        set(PostLike.objects.filter(user=user, post__in=posts).values_list("post_id", flat=True))
        if user.is_authenticated
        else set()
    )
    rows = []
    for post in posts:
        author = authors.get(post.author_id)
        rows.append(
            {
                "id": post.pk,
                "thread_id": post.thread_id,
                "number": post.number,
                "reply_to_number": post.reply_to.number if post.reply_to_id else None,
                "author": {
                    "id": post.author_id,
                    "name": author.name if author else "",
                    "handle": author.handle if author else "",
                    "verified_owner": bool(author and author.verified_for(thread.product_id)),
                },
                "body_md": post.body_md,
                "body_html": services.quote_attributions_localise(post.body_html),
                "status": post.status,
                "like_count": post.like_count,
                "liked": post.pk in liked,
                "created_at": post.created_at,
                "edited_at": post.edited_at,
            }
        )
    return PostSerializer(rows, many=True).data


def _thread_or_404(pk: int, user) -> Thread:
    thread = selectors.thread_for_view(thread_id=pk)
    if thread is None or not selectors.thread_viewable(thread, user):
        raise Http404(_("No such thread."))
    return thread


def _post_or_404(pk: int, user) -> Post:
    post = Post.objects.select_related("thread", "author", "reply_to").filter(pk=pk).first()
    if post is None or not post.viewable_by(user):
        raise Http404(_("No such post."))
    return post


# ------------------------------------------------------------------ reads
class CategoryListApi(generics.ListAPIView):
    """The forum categories, in their order, with counts and last activity."""

    permission_classes = [AllowAny]
    serializer_class = CategorySerializer
    pagination_class = DefaultPagination

    def get_queryset(self):
        return selectors.categories_list()


class CategoryThreadsApi(APIView):
    """A category's threads: pinned first, then by last activity."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="community_forums_category_threads",
        responses={200: ThreadSerializer(many=True), **NOT_FOUND},
    )
    def get(self, request, slug: str):
        category = get_object_or_404(ForumCategory, slug=slug)
        threads = selectors.category_threads(category=category, user=request.user)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(threads, request, view=self)
        return paginator.get_paginated_response(_threads_data(list(page)))


class ThreadCreateApi(APIView):
    """Start a thread: its text is the opening post (number 1)."""

    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="ForumThreadCreate")
    class InputSerializer(StrictInputSerializer):
        category = serializers.SlugField(max_length=90, help_text="The category's slug.")
        title = serializers.CharField(max_length=150, help_text="5 to 150 characters.")
        body = serializers.CharField(max_length=20000, help_text="Markdown.")
        tags = serializers.ListField(
            child=serializers.CharField(max_length=30), required=False, help_text="At most 5."
        )
        product = serializers.IntegerField(
            required=False, min_value=1, help_text="The product the thread is about."
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: ThreadSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Ask about a product",
                value={
                    "category": "coffee-talk",
                    "title": "Best grind for a V60 with Gayo beans?",
                    "body": "Mine tastes a bit sour. Finer, or hotter water?",
                    "tags": ["v60", "gayo"],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        category = get_object_or_404(ForumCategory, slug=values["category"])
        product = None
        if values.get("product"):
            from shop.models import Product

            product = get_object_or_404(Product, pk=values["product"], is_published=True)
        thread = services.thread_create(
            author=request.user,
            category=category,
            title=values["title"],
            body=values["body"],
            tags=values.get("tags", []),
            product=product,
        )
        thread = Thread.objects.select_related("category").get(pk=thread.pk)
        return Response(_threads_data([thread])[0], status=status.HTTP_201_CREATED)


class ThreadDetailApi(APIView):
    """One thread (its posts: `posts/`)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: ThreadSerializer, **NOT_FOUND})
    def get(self, request, pk: int):
        thread = _thread_or_404(pk, request.user)
        return Response(_threads_data([thread])[0])


class ThreadPostsApi(APIView):
    """A thread's posts in order, 20 a page; POST replies."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema_serializer(component_name="ForumReply")
    class InputSerializer(StrictInputSerializer):
        body = serializers.CharField(max_length=20000, help_text="Markdown.")
        reply_to = serializers.IntegerField(
            required=False, min_value=1, help_text="The number of the post answered."
        )

    @extend_schema(
        operation_id="community_forums_thread_posts",
        responses={200: PostSerializer(many=True), **NOT_FOUND},
    )
    def get(self, request, pk: int):
        thread = _thread_or_404(pk, request.user)
        posts = (
            selectors.posts_visible(thread=thread, user=request.user)
            .select_related("author", "reply_to")
            .order_by("number")
        )
        paginator = DefaultPagination()
        page = list(paginator.paginate_queryset(posts, request, view=self))
        return paginator.get_paginated_response(_posts_data(page, thread=thread, user=request.user))

    @extend_schema(
        operation_id="community_forums_thread_reply",
        request=InputSerializer,
        responses={201: PostSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Reply quoting post 1",
                value={"body": "@budi_santoso wrote:\n> Finer?\n\nYes, finer.", "reply_to": 1},
                request_only=True,
            )
        ],
    )
    def post(self, request, pk: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread = _thread_or_404(pk, request.user)
        reply_to = None
        if data.validated_data.get("reply_to"):
            reply_to = get_object_or_404(
                Post, thread=thread, number=data.validated_data["reply_to"]
            )
        post = services.post_reply(
            author=request.user, thread=thread, body=data.validated_data["body"], reply_to=reply_to
        )
        post = Post.objects.select_related("author", "reply_to").get(pk=post.pk)
        return Response(
            _posts_data([post], thread=thread, user=request.user)[0],
            status=status.HTTP_201_CREATED,
        )


class PostDetailApi(APIView):
    """Edit (within the edit window) or delete your own post; moderators
    any post."""

    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="ForumPostEdit")
    class InputSerializer(StrictInputSerializer):
        body = serializers.CharField(
            max_length=20000, required=False, help_text="Markdown. Unchanged when left out."
        )
        title = serializers.CharField(
            max_length=150, required=False, help_text="Opening post only: the thread's title."
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: PostSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("Fix a typo", value={"body": "Finer grind."}, request_only=True)],
    )
    def patch(self, request, pk: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = _post_or_404(pk, request.user)
        post = services.post_edit(
            post=post,
            editor=request.user,
            body=data.validated_data.get("body", post.body_md),
            title=data.validated_data.get("title"),
        )
        post = Post.objects.select_related("author", "reply_to", "thread").get(pk=post.pk)
        return Response(_posts_data([post], thread=post.thread, user=request.user)[0])

    @extend_schema(responses={204: None, **WRITE_ERRORS, **NOT_FOUND})
    def delete(self, request, pk: int):
        post = _post_or_404(pk, request.user)
        services.post_delete(post=post, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


LikeSerializer = inline_serializer(
    name="ForumLike",
    fields={"liked": serializers.BooleanField(), "like_count": serializers.IntegerField()},
)


class PostLikeApi(APIView):
    """Like a post (POST) or take the like back (DELETE); both idempotent."""

    permission_classes = [IsAuthenticated]

    def _answer(self, post: Post, liked: bool) -> Response:
        post.refresh_from_db(fields=["like_count"])
        return Response({"liked": liked, "like_count": post.like_count})

    @extend_schema(request=None, responses={200: LikeSerializer, **WRITE_ERRORS, **NOT_FOUND})
    def post(self, request, pk: int):
        post = _post_or_404(pk, request.user)
        services.post_like(post=post, user=request.user)
        return self._answer(post, True)

    @extend_schema(responses={200: LikeSerializer, **WRITE_ERRORS, **NOT_FOUND})
    def delete(self, request, pk: int):
        post = _post_or_404(pk, request.user)
        services.post_unlike(post=post, user=request.user)
        return self._answer(post, False)


urlpatterns = [
    path("forums/categories/", CategoryListApi.as_view(), name="forum-categories"),
    path(
        "forums/categories/<slug:slug>/threads/",
        CategoryThreadsApi.as_view(),
        name="forum-category-threads",
    ),
    path("forums/threads/", ThreadCreateApi.as_view(), name="forum-threads"),
    path("forums/threads/<int:pk>/", ThreadDetailApi.as_view(), name="forum-thread"),
    path("forums/threads/<int:pk>/posts/", ThreadPostsApi.as_view(), name="forum-thread-posts"),
    path("forums/posts/<int:pk>/", PostDetailApi.as_view(), name="forum-post"),
    path("forums/posts/<int:pk>/like/", PostLikeApi.as_view(), name="forum-post-like"),
]
