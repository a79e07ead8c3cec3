"""API permissions: Django model permissions, reads included (auditors need `view`); transitions need `change`."""

from rest_framework.permissions import DjangoModelPermissions


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


class TransitionPermissions(StrictModelPermissions):
    """A transition (POST on an object) changes it: it needs `change`, not `add`."""

    perms_map = {**StrictModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}
