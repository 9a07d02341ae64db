from django.urls import path, register_converter

from recovery.apis import CartCollectionApi, CartDetailApi, OrderApi


class AnyTextConverter:
    """Any text, slashes and newlines included, so a malformed id (`/carts/abc/`) reaches the view and gets the
    API's JSON 404 rather than the site's HTML page."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(AnyTextConverter, "any_text")

app_name = "api"

urlpatterns = [
    path("carts/", CartCollectionApi.as_view(), name="carts"),
    path("carts/<any_text:cart_id>/", CartDetailApi.as_view(), name="cart-detail"),
    path("orders/", OrderApi.as_view(), name="orders"),
]
