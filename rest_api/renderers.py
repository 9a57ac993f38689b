"""The browsable API's renderer: DRF's, with the page's language named (screen readers read it in that language).

DRF's base.html writes a bare `<html>` outside any template block, so no template override short of a copy of the
whole page can name it; the rendered page gets it here instead.
"""

from django.utils.translation import get_language
from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        html = super().render(data, accepted_media_type, renderer_context)
        return html.replace("<html>", f'<html lang="{get_language()}">', 1)
