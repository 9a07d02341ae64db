from django.urls import path

from recovery.apis import CartCollectionApi, CartDetailApi, OrderApi

app_name = "api"

urlpatterns = [
    path("carts/", CartCollectionApi.as_view(), name="carts"),
    path("carts/<int:cart_id>/", CartDetailApi.as_view(), name="cart-detail"),
    path("orders/", OrderApi.as_view(), name="orders"),
]
