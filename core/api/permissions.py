"""API permissions: Django model permissions, reads included (auditors need `view`)."""
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
