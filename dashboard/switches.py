"""The page's off switches: an endpoint behind one answers 403 {"detail": why} while its setting is off."""

from django.conf import settings
from rest_framework import exceptions, permissions


class SettingSwitch(permissions.BasePermission):
    """A 403 {"detail": message} while `setting` is off. Raised, not returned False: DRF answers a refused
    permission with "Authentication credentials were not provided." when nobody is logged in, as here always."""

    setting = ""
    message = ""

    def has_permission(self, request, view) -> bool:
        if not getattr(settings, self.setting):
            raise exceptions.PermissionDenied(self.message)
        return True
