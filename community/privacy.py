"""Reviews, Q&A, polls, flags and the member's standing in "download my
data" and account deletion (USER_DATA_EXPORT, USER_ANONYMISE; the forums
have their own section, community/forum_privacy.py).

Deletion keeps what the member wrote, as the forums do (other members'
answers, votes and ratings rest on it; the author line then shows no name,
handle or avatar), and removes what only concerned the member: the buyers'
requests to answer questions, their standing's reason and their handle."""

from __future__ import annotations

from community.models import (
    Answer,
    AnswerVote,
    BuyerQuestionRequest,
    Flag,
    MemberProfile,
    PollBallot,
    Question,
    Review,
    ReviewVote,
)

SECTION = "community"


def _when(value) -> str | None:
    return value.isoformat() if value else None


def community_data_export(user) -> tuple[str, dict]:
    profile = MemberProfile.objects.filter(user=user).first()
    return SECTION, {
        "profile": (
            {
                "handle": profile.handle,
                "trust_level": profile.get_trust_level_display(),
                "silenced_until": _when(profile.silenced_until),
                "banned_until": _when(profile.banned_until),
                "reason": profile.standing_reason,
            }
            if profile
            else None
        ),
        "reviews": [
            {
                "id": r.pk,
                "product": r.product.name,
                "stars": r.stars,
                "title": r.title,
                "text": r.body_md,
                "status": r.status,
                "verified_buyer": r.verified_buyer,
                "created_at": _when(r.created_at),
            }
            for r in Review.objects.filter(author=user).select_related("product").order_by("pk")
        ],
        "helpful_votes": list(
            ReviewVote.objects.filter(voter=user).order_by("pk").values_list("review_id", flat=True)
        ),
        "questions": [
            {
                "id": q.pk,
                "title": q.title,
                "text": q.body_md,
                "status": q.status,
                "created_at": _when(q.created_at),
            }
            for q in Question.objects.filter(author=user).order_by("pk")
        ],
        "answers": [
            {
                "id": a.pk,
                "question_id": a.question_id,
                "text": a.body_md,
                "status": a.status,
                "accepted": a.is_accepted,
                "created_at": _when(a.created_at),
            }
            for a in Answer.objects.filter(author=user).order_by("pk")
        ],
        "answer_votes": [
            {"answer_id": v.answer_id, "value": v.value}
            for v in AnswerVote.objects.filter(voter=user).order_by("pk")
        ],
        "poll_votes": [
            {"poll_id": b.poll_id, "options": [v.option_id for v in b.votes.all()]}
            for b in PollBallot.objects.filter(voter=user).prefetch_related("votes").order_by("pk")
        ],
        "flags": [
            {
                "kind": f.kind,
                "id": f.object_id,
                "reason": f.reason,
                "note": f.note,
                "status": f.status,
                "created_at": _when(f.created_at),
            }
            for f in Flag.objects.filter(flagger=user).order_by("pk")
        ],
    }


def community_user_anonymise(user) -> None:
    BuyerQuestionRequest.objects.filter(buyer=user).delete()
    Flag.objects.filter(flagger=user).update(note="")
    profile = MemberProfile.objects.filter(user=user).first()
    if profile is not None:
        profile.handle = f"deleted_{user.pk}"
        profile.standing_reason = ""
        profile.save(update_fields=["handle", "standing_reason", "updated_at"])
