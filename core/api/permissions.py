"""API permissions: Django model permissions, reads included (auditors need `view`); transitions need `change`."""

from typing import Any

from rest_framework.permissions import DjangoModelPermissions

from .sealed import SealedPermission


class StrictModelPermissions(DjangoModelPermissions):
    """Like DRF's DjangoModelPermissions, but a read also needs the model's `view` permission.

    DRF lets any authenticated user read; Vigie holds personal data, so reading is a permission too.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Any, view: Any) -> bool:
        # A sealed model (aml) does not exist for a user outside its seal: 404, never 401/403.
        SealedPermission().has_permission(request, view)
        return bool(super().has_permission(request, view))


class TransitionPermissions(StrictModelPermissions):
    """A transition (POST on an object) changes it: it needs `change`, not `add`."""

    perms_map = {**StrictModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}
