"""REST routes under /api/: the course's paths have no trailing slash."""

from rest_framework.routers import SimpleRouter

from rest_api.views import ComputerOrderViewSet

router = SimpleRouter(trailing_slash=False)
router.register("orders/computers", ComputerOrderViewSet, basename="order")

urlpatterns = router.urls
