"""The two-factor devices' admin: django-otp's, with its QR code pages answering 404 for a missing device.

django-otp's `TOTPDeviceAdmin.config_view`/`qrcode_view` (`/admin/otp_totp/totpdevice/<pk>/config/`,
`…/qrcode/`) fetch the device with `TOTPDevice.objects.get(pk=pk)`: a missing id answered 500. The device
is looked up first through the admin's queryset (404 when there is none), after the permission check.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice


class TOTPDeviceAdmin(otp_totp_admin.TOTPDeviceAdmin):
    def _device_or_404(self, request: HttpRequest, pk: Any) -> None:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if self.get_object(request, str(pk)) is None:
            raise Http404

    def config_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        self._device_or_404(request, pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        self._device_or_404(request, pk)
        return super().qrcode_view(request, pk)


# django-otp registers its own admin when its module is imported (above): this one replaces it.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, TOTPDeviceAdmin)
