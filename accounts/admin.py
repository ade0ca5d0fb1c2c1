from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminUserChangeForm, AdminUserCreationForm
from accounts.models import ApiToken, User
from accounts.services import api_tokens_revoke_all
from core import hooks


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ["-date_joined"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["last_login", "date_joined", "deleted_at"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "bio", "avatar")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """Below a member's form: other apps' panels about them
        (core.hooks.ADMIN_USER_PANELS), e.g. their points."""
        panels = []
        if obj is not None and not add:
            for fn in hooks.get_hooks(hooks.ADMIN_USER_PANELS):
                panels.extend(fn(request=request, user=obj) or [])
        context["member_panels"] = panels
        return super().render_change_form(request, context, add, change, form_url, obj)

    def user_change_password(self, request, id, form_url=""):
        """A password staff set here ends the account's API tokens, as a
        change, reset or first password through the site does
        (accounts.receivers): whoever knew the old one may have made one."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            if user is not None:
                api_tokens_revoke_all(user=user)
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    search_fields = ["name", "prefix", "user__email"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "key_hash", "last_used_at", "created_at", "updated_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        # Keys are shown once to their owner; staff only revoke.
        return False
